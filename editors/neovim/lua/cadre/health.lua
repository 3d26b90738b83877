-- :checkhealth cadre: the server binary, the configuration it loads, and the models' health.
--
-- Runs `<cmd> --version` and `<cmd> models list` (which loads the configuration) with the same command,
-- root and --config the client uses, and asks the running server for its roles' health (cadre.status).
-- Not `doctor`: it prepares bundled models (a 1.5 GB write) before checking them. Health reporting functions differ by version:
-- vim.health.ok & co. on 0.10+, vim.health.report_ok & co. on 0.8/0.9, health#report_ok on 0.7.

local M = {}

local function reporter()
  local h = vim.health
  if h and h.ok then
    return { start = h.start, ok = h.ok, warn = h.warn, error = h.error, info = h.info }
  end
  if h and h.report_ok then
    return { start = h.report_start, ok = h.report_ok, warn = h.report_warn, error = h.report_error,
      info = h.report_info }
  end
  return {
    start = vim.fn['health#report_start'],
    ok = vim.fn['health#report_ok'],
    warn = function(msg, advice) vim.fn['health#report_warn'](msg, advice or {}) end,
    error = function(msg, advice) vim.fn['health#report_error'](msg, advice or {}) end,
    info = vim.fn['health#report_info'],
  }
end

--- The command prefix that runs the cadre-lsp CLI (cmd without `serve` and its own flags), and the
--- --config file the server is started with (if any).
function M.cli(cmd)
  local base, config_file = {}, nil
  local i = 1
  while i <= #cmd do
    local arg = cmd[i]
    if arg == 'serve' then
      -- `serve` ends the CLI prefix; keep its --config for doctor.
      for j = i + 1, #cmd do
        if cmd[j] == '--config' then
          config_file = cmd[j + 1]
        elseif type(cmd[j]) == 'string' and cmd[j]:match('^%-%-config=') then
          config_file = cmd[j]:sub(10)
        end
      end
      break
    end
    table.insert(base, arg)
    i = i + 1
  end
  return base, config_file
end

-- Run argv (no shell) in cwd; returns exit code and stdout+stderr. COLUMNS: rich, which draws the
-- CLI's tables, wraps at 80 columns when it is not writing to a terminal.
local function run(argv, cwd)
  local chunks = {}
  local function collect(_, data)
    for _, line in ipairs(data or {}) do
      table.insert(chunks, line)
    end
  end
  local ok, job = pcall(vim.fn.jobstart, argv, {
    cwd = cwd,
    env = { COLUMNS = '150' },
    stdout_buffered = true,
    stderr_buffered = true,
    on_stdout = collect,
    on_stderr = collect,
  })
  if not ok or job <= 0 then
    return -1, 'could not start ' .. table.concat(argv, ' ') .. (ok and '' or (': ' .. tostring(job)))
  end
  local code = vim.fn.jobwait({ job }, 120000)[1]
  if code == -1 then
    vim.fn.jobstop(job)
    return -1, table.concat(argv, ' ') .. ' timed out after 120 s'
  end
  return code, table.concat(chunks, '\n')
end

local function lines_of(text)
  local out = {}
  for _, l in ipairs(vim.split(text or '', '\n', { plain = true })) do
    if l:match('%S') then
      table.insert(out, l)
    end
  end
  return out
end

function M.check()
  local report = reporter()
  local cadre = require('cadre')
  local opts = cadre.options
  report.start('cadre: setup')
  local native = vim.lsp.config and vim.lsp.is_enabled and vim.lsp.is_enabled('cadre')
  if native then
    -- 0.11+: the resolved config (lsp/cadre.lua under vim.lsp.config('*'), the user's overrides on top).
    local resolved = vim.lsp.config.cadre or {}
    if type(resolved.cmd) ~= 'table' then
      report.error('vim.lsp.config.cadre.cmd is not a list: ' .. vim.inspect(resolved.cmd))
      return
    end
    opts = require('cadre.config').merge({
      cmd = resolved.cmd, filetypes = resolved.filetypes, root_markers = resolved.root_markers,
    })
    report.ok((cadre.options and 'setup() -> ' or '') .. "vim.lsp.enable('cadre') (lsp/cadre.lua); filetypes: "
      .. table.concat(opts.filetypes, ', '))
  elseif not opts then
    report.error("cadre is not enabled", {
      "Neovim 0.11+: vim.lsp.enable('cadre')", "Neovim 0.7-0.10: require('cadre').setup({})" })
    opts = require('cadre.config').merge({})
  else
    report.ok('setup() called; filetypes: ' .. table.concat(opts.filetypes, ', '))
  end
  report.info('Neovim ' .. tostring(vim.version().major) .. '.' .. tostring(vim.version().minor) .. '.'
    .. tostring(vim.version().patch) .. (native and ' (vim.lsp.enable)' or vim.lsp.start and ' (vim.lsp.start)' or ' (vim.lsp.start_client)'))

  report.start('cadre: server binary')
  local base, config_file = M.cli(opts.cmd)
  if vim.fn.executable(base[1]) ~= 1 then
    report.error(string.format('`%s` not found on $PATH', base[1]), {
      'Install it: pip install cadre-lsp (or pipx install cadre-lsp)',
      "Or point setup() at it: cmd = { '/path/to/venv/bin/cadre-lsp', 'serve' }",
      "Or use Python: cmd = { 'python3', '-m', 'cadre_lsp', 'serve' }",
    })
    return
  end
  report.ok(string.format('`%s` is %s', base[1], vim.fn.exepath(base[1])))
  local version_cmd = vim.list_extend(vim.deepcopy(base), { '--version' })
  local code, out = run(version_cmd)
  if code ~= 0 then
    report.error('`' .. table.concat(version_cmd, ' ') .. '` failed (exit ' .. code .. ')', lines_of(out))
    return
  end
  report.ok(vim.trim(out))

  report.start('cadre: configuration and models')
  -- The root of a running client (the health buffer itself has no file), else the cwd's.
  local running = require('cadre.lsp').clients(nil)[1]
  local root = running and running.config.root_dir
    or require('cadre.lsp').find_root(vim.fn.getcwd() .. '/.', opts.root_markers)
  report.info('workspace root: ' .. root)
  local function with_config(argv)
    argv = vim.list_extend(vim.deepcopy(base), argv)
    vim.list_extend(argv, { '--workspace', root })
    if config_file then
      vim.list_extend(argv, { '--config', config_file })
    end
    return argv
  end
  -- `models list` only reads the configuration: the quick check that it loads.
  local models = with_config({ 'models', 'list' })
  code, out = run(models, root)
  if code ~= 0 then
    report.error('the configuration does not load (`' .. table.concat(models, ' ') .. '`)', lines_of(out))
    return
  end
  report.ok('configuration loads (`' .. table.concat(models, ' ') .. '`); endpoints:')
  for _, l in ipairs(lines_of(out)) do
    report.info(l)
  end

  report.start('cadre: client and model health')
  local cadre_lsp = require('cadre.lsp')
  local clients = cadre_lsp.clients(nil)
  if #clients == 0 then
    report.info('no cadre client running yet: open a ' .. table.concat(opts.filetypes, '/')
      .. ' file and run :checkhealth cadre again for model health (or `'
      .. table.concat(base, ' ') .. ' doctor` in a terminal)')
    return
  end
  for _, c in ipairs(clients) do
    report.ok(string.format('client %d, root %s', c.id, c.config.root_dir or '?'))
    -- The running server's own view (cadre.status): no second process, nothing loaded or prepared.
    local reply = cadre_lsp.call(c, 'request_sync', 'workspace/executeCommand',
      { command = 'cadre.status', arguments = { vim.empty_dict() } }, 10000)
    local status = reply and reply.result
    if not status then
      report.warn('cadre.status did not answer: ' .. vim.inspect(reply and reply.err))
    else
      local roles = vim.tbl_keys(status.roles or {})
      table.sort(roles)
      for _, role in ipairs(roles) do
        local r = status.roles[role]
        local line = string.format('%s -> %s (%s)', role, tostring(r.model),
          table.concat(type(r.endpoints) == 'table' and r.endpoints or {}, ', '))
        if r.healthy == true then
          report.ok(line .. ': healthy')
        elseif r.healthy == false then
          report.error(line .. ': UNHEALTHY', { 'Run `' .. table.concat(base, ' ') .. ' doctor` for details.' })
        else
          report.warn(line .. ': health unknown')
        end
      end
    end
  end
end

return M
