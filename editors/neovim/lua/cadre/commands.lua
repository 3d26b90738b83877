-- cadre.commands: the :Cadre* user commands and the Lua functions behind them.
--
-- :CadreExplain/:CadreImplement/:CadreFix/:CadreReview run the server command directly on the range
-- (a visual selection, a line range, or the cursor position: the server widens it to the enclosing
-- definition), with any command argument as the instruction. They skip the code action menu; the menu
-- (vim.lsp.buf.code_action) offers the same four actions plus "cadre: With pattern…", whose command
-- (cadre.runWithPattern, handled here through vim.lsp.commands) asks for the action and the pattern.
-- Every variant at once: vim.lsp.buf.code_action({ context = { only = { 'source.cadre' } } }).

local lsp = require('cadre.lsp')
local state = require('cadre.state')
local ui = require('cadre.ui')

local M = {}

M.actions = { 'explain', 'implement', 'fix', 'review' }

-- A byte column of `line` in the client's position encoding.
local function units(line, byte, encoding)
  byte = math.max(0, math.min(byte, #line))
  if encoding == 'utf-8' then
    return byte
  end
  if vim.fn.has('nvim-0.11') == 1 then
    return vim.str_utfindex(line, encoding, byte, false)
  end
  local utf32, utf16 = vim.str_utfindex(line, byte)
  return encoding == 'utf-32' and utf32 or utf16
end

local function line_text(bufnr, row)
  return vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ''
end

--- The LSP range for a command invocation (0-based rows). `info` is the user command's argument
--- table: info.range == 0 means no range (cursor), else info.line1..info.line2; a charwise visual
--- selection on those lines keeps its columns.
function M.range_for(bufnr, info, encoding)
  if not info or (info.range or 0) == 0 then
    local cursor = vim.api.nvim_win_get_cursor(0)
    local row = cursor[1] - 1
    local col = units(line_text(bufnr, row), cursor[2], encoding)
    local pos = { line = row, character = col }
    return { start = pos, ['end'] = pos }
  end
  local first, last = info.line1 - 1, info.line2 - 1
  local s = vim.api.nvim_buf_get_mark(bufnr, '<')
  local e = vim.api.nvim_buf_get_mark(bufnr, '>')
  if vim.fn.visualmode() == 'v' and s[1] - 1 == first and e[1] - 1 == last then
    local end_line = line_text(bufnr, last)
    -- '> marks the first byte of the last selected character: include all of its bytes.
    local lead = end_line:byte(e[2] + 1)
    local width = not lead and 0 or lead >= 0xF0 and 4 or lead >= 0xE0 and 3 or lead >= 0xC0 and 2 or 1
    local end_byte = e[2] + width
    return {
      start = { line = first, character = units(line_text(bufnr, first), s[2], encoding) },
      ['end'] = { line = last, character = units(end_line, end_byte, encoding) },
    }
  end
  local count = vim.api.nvim_buf_line_count(bufnr)
  local stop
  if last + 1 < count then
    stop = { line = last + 1, character = 0 }
  else
    local text = line_text(bufnr, last)
    stop = { line = last, character = units(text, #text, encoding) }
  end
  return { start = { line = first, character = 0 }, ['end'] = stop }
end

local function buffer_version(bufnr)
  local versions = vim.lsp.util.buf_versions
  local v = versions and versions[bufnr]
  if type(v) ~= 'number' then
    v = nil
  end
  return v
end

--- Run `action` on a range of `bufnr`; opts: {range = LSP range | nil, line1, line2, range_kind,
--- instruction, pattern, callback(err, result)}. Returns true if a request went out.
function M.run(action, opts)
  opts = opts or {}
  local bufnr = opts.bufnr or vim.api.nvim_get_current_buf()
  local client = lsp.clients(bufnr)[1]
  if not client then
    vim.notify('cadre: no cadre client is attached to this buffer (see :checkhealth cadre)', vim.log.levels.WARN)
    return false
  end
  local encoding = client.offset_encoding or 'utf-16'
  local range = opts.range or M.range_for(bufnr, opts.info, encoding)
  local argument = { uri = vim.uri_from_bufnr(bufnr), range = range, version = buffer_version(bufnr) }
  if opts.pattern and opts.pattern ~= '' then
    argument.pattern = opts.pattern
  end
  if opts.instruction and opts.instruction ~= '' then
    argument.instruction = opts.instruction
  end
  lsp.execute(client, 'cadre.' .. action, argument, opts.callback or function(err, _)
    if err then
      vim.notify(string.format('cadre: %s failed: %s', action, err.message or vim.inspect(err)), vim.log.levels.ERROR)
    end
  end, bufnr)
  return true
end

--- The client-side command behind "cadre: With pattern…": pick the action, then the pattern (the server
--- sent the choices), then run it on the action's range. Registered in vim.lsp.commands by create().
function M.pick_pattern(command, ctx)
  local arg = (command.arguments or {})[1] or {}
  local defaults = type(arg.defaults) == 'table' and arg.defaults or {}
  local bufnr = (ctx and ctx.bufnr) or vim.api.nvim_get_current_buf()
  vim.ui.select(arg.actions or M.actions, { prompt = 'cadre: action' }, function(action)
    if not action then
      return
    end
    vim.ui.select(arg.patterns or {}, {
      prompt = 'cadre: ' .. action .. ' with pattern',
      format_item = function(p)
        return p == defaults[action] and (p .. ' (default)') or p
      end,
    }, function(pattern)
      if not pattern then
        return
      end
      local function go(instruction)
        M.run(action, { bufnr = bufnr, range = arg.range, pattern = pattern, instruction = instruction })
      end
      if action == 'implement' then
        vim.ui.input({ prompt = 'cadre: implement what? (empty: from the code and its comments) ' }, function(text)
          if text ~= nil then
            go(text)
          end
        end)
      else
        go(nil)
      end
    end)
  end)
end

--- Cancel every running cadre job (or one, by id) on every cadre client.
function M.cancel(job_id)
  local clients = lsp.clients(nil)
  if #clients == 0 then
    vim.notify('cadre: no cadre client is running', vim.log.levels.WARN)
    return
  end
  local argument = job_id and { jobId = job_id } or vim.empty_dict()
  for _, client in ipairs(clients) do
    lsp.execute(client, 'cadre.cancel', argument, function(err, result)
      if err then
        vim.notify('cadre: cancel failed: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
        return
      end
      local n = result and result.cancelled and #result.cancelled or 0
      vim.notify(string.format('cadre: cancelled %d job%s', n, n == 1 and '' or 's'), vim.log.levels.INFO)
    end)
  end
end

local function fmt(v)
  if type(v) == 'number' then
    return v == math.floor(v) and tostring(v) or string.format('%.2f', v)
  elseif v == nil or v == vim.NIL then
    return '-'
  elseif type(v) == 'table' then
    return vim.inspect(v, { newline = ' ', indent = '' })
  end
  return tostring(v)
end

local function sorted_keys(t)
  local keys = vim.tbl_keys(t or {})
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

--- The lines :CadreStatus shows for a cadre.status reply.
function M.status_lines(status)
  local lines = { '## Roles' }
  for _, role in ipairs(sorted_keys(status.roles)) do
    local r = status.roles[role]
    local health = r.healthy == true and 'ok' or (r.healthy == false and 'UNHEALTHY' or 'unknown')
    table.insert(lines, string.format('- **%s**: %s (%s) %s', role, fmt(r.model),
      table.concat(type(r.endpoints) == 'table' and r.endpoints or {}, ', '), health))
  end
  table.insert(lines, '')
  table.insert(lines, '## Jobs')
  local jobs = status.jobs or {}
  if #jobs == 0 then
    table.insert(lines, '- none running')
  end
  for _, j in ipairs(jobs) do
    local file = j.uri and vim.fn.fnamemodify(vim.uri_to_fname(j.uri), ':t') or '?'
    table.insert(lines, string.format('- %s %s %s: %s', fmt(j.jobId), fmt(j.action), file, fmt(j.step)))
  end
  table.insert(lines, string.format('- queued: %s', fmt(status.queue)))
  local progress = {}
  for _, p in pairs(state.progress) do
    table.insert(progress, string.format('- %s: %s%s', fmt(p.title), fmt(p.message),
      p.percentage and string.format(' (%d%%)', p.percentage) or ''))
  end
  if #progress > 0 then
    table.insert(lines, '')
    table.insert(lines, '## Progress')
    vim.list_extend(lines, progress)
  end
  table.insert(lines, '')
  table.insert(lines, '## Model stats')
  local stats = status.stats or {}
  if next(stats) == nil then
    table.insert(lines, '- no requests yet')
  end
  for _, name in ipairs(sorted_keys(stats)) do
    local parts = {}
    for _, k in ipairs(sorted_keys(stats[name])) do
      if k ~= 'model' then
        table.insert(parts, k .. '=' .. fmt(stats[name][k]))
      end
    end
    table.insert(lines, string.format('- **%s** (%s): %s', name, fmt(stats[name].model), table.concat(parts, ', ')))
  end
  return lines
end

--- :CadreStatus: ask the server (cadre.status) and show roles, jobs and stats in a float.
function M.status(callback)
  local client = lsp.client()
  if not client then
    vim.notify('cadre: no cadre client is running (open a supported file first)', vim.log.levels.WARN)
    return
  end
  lsp.execute(client, 'cadre.status', vim.empty_dict(), function(err, result)
    if err then
      vim.notify('cadre: status failed: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      return
    end
    local lines = M.status_lines(result or {})
    if callback then
      callback(result, lines)
    else
      ui.float(lines, 'cadre-lsp status', 'markdown')
    end
  end)
end

--- :CadreLast: reopen the last explanation (else the last result of any action).
function M.last()
  local r = state.last_explain or state.last
  if not r then
    vim.notify('cadre: no result yet', vim.log.levels.INFO)
    return
  end
  ui.result(r)
end

local function title(action)
  return action:sub(1, 1):upper() .. action:sub(2)
end

function M.create()
  vim.lsp.commands['cadre.runWithPattern'] = M.pick_pattern
  for _, action in ipairs(M.actions) do
    vim.api.nvim_create_user_command('Cadre' .. title(action), function(info)
      M.run(action, { info = info, instruction = info.args })
    end, { range = true, nargs = '*', desc = 'cadre: ' .. title(action) .. ' the range (or the definition at the cursor)' })
  end
  vim.api.nvim_create_user_command('CadreCancel', function(info)
    M.cancel(info.args ~= '' and info.args or nil)
  end, { nargs = '?', desc = 'cadre: cancel running jobs (all, or the given job id)' })
  vim.api.nvim_create_user_command('CadreStatus', function() M.status() end,
    { desc = 'cadre: roles, running jobs and model stats' })
  vim.api.nvim_create_user_command('CadreLast', function() M.last() end,
    { desc = 'cadre: reopen the last explanation' })
end

return M
