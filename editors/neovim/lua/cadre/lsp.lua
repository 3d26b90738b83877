-- cadre.lsp: starting the cadre client and attaching it to buffers, on Neovim 0.7 and newer.
--
-- 0.8+ has vim.lsp.start(), which reuses a client with the same name and root by itself. 0.7 has
-- only vim.lsp.start_client() + vim.lsp.buf_attach_client(), so there we keep one client id per root.
-- Neovim 0.7 never answers workspace/configuration (it does not advertise it), so the settings go
-- out twice: as initializationOptions and, from on_init, as workspace/didChangeConfiguration.

local handlers = require('cadre.handlers')

local M = {}

M.name = 'cadre'
local uv = vim.uv or vim.loop

--- client:request / client:notify on 0.11+ (methods), client.request / client.notify before.
function M.call(client, method, ...)
  if vim.fn.has('nvim-0.11') == 1 then
    return client[method](client, ...)
  end
  return client[method](...)
end
local clients_by_root = {} -- 0.7 only: root -> client id
local warned_missing = false

local function exists(path)
  return uv.fs_stat(path) ~= nil
end

--- The workspace root for `path`: the nearest ancestor holding a marker, else the cwd.
function M.find_root(path, markers)
  local dir = path ~= '' and vim.fn.fnamemodify(path, ':p:h') or vim.fn.getcwd()
  while dir and dir ~= '' do
    for _, marker in ipairs(markers) do
      if exists(dir .. '/' .. marker) then
        return dir
      end
    end
    local parent = vim.fn.fnamemodify(dir, ':h')
    if parent == dir then
      break
    end
    dir = parent
  end
  return vim.fn.getcwd()
end

--- Settings in the shape the server reads: `{cadre = {...}}`, a JSON object even when empty.
function M.settings_payload(settings)
  if settings == nil or next(settings) == nil then
    return { cadre = vim.empty_dict() }
  end
  return { cadre = settings }
end

--- What cadre adds to a client's capabilities (merged over Neovim's own, and on 0.11+ over the user's
--- vim.lsp.config('*') capabilities too).
function M.extra_capabilities(opts)
  local caps = { window = { workDoneProgress = true } }
  if not opts.show_document then
    caps.window.showDocument = { support = false }
  end
  -- We run `cadre.runWithPattern` ourselves (commands.pick_pattern, vim.ui.select): the server then lists
  -- one "cadre: With pattern…" code action instead of every "<Action> with <pattern>" variant.
  caps.experimental = { cadre = { patternPicker = true } }
  return caps
end

local function capabilities(opts)
  local caps = vim.tbl_deep_extend('force', vim.lsp.protocol.make_client_capabilities(), M.extra_capabilities(opts))
  if opts.capabilities then
    caps = vim.tbl_deep_extend('force', caps, opts.capabilities)
  end
  return caps
end

--- The workspace root for buffer `bufnr` on 0.11+ (a vim.lsp.config root_dir function): the nearest
--- ancestor holding one of the config's root_markers, else the cwd (as setup() does on 0.7-0.10).
function M.native_root_dir(bufnr, on_dir)
  local resolved = vim.lsp.config.cadre or {}
  local markers = resolved.root_markers or require('cadre.config').defaults.root_markers
  on_dir(vim.fs.root(bufnr, markers) or vim.fn.getcwd())
end

--- The config `lsp/cadre.lua` returns for vim.lsp.config / vim.lsp.enable (Neovim 0.11+). It sets
--- only cadre's own fields: Neovim merges it over the user's vim.lsp.config('*') defaults
--- (capabilities, on_attach, on_init, ...) and the user's vim.lsp.config('cadre', {...}) over it.
--- No init_options/on_init: 0.11+ answers the server's workspace/configuration from `settings` and
--- sends them with workspace/didChangeConfiguration itself.
function M.native_config()
  local defaults = require('cadre.config').defaults
  return {
    cmd = vim.deepcopy(defaults.cmd),
    filetypes = vim.deepcopy(defaults.filetypes),
    root_markers = vim.deepcopy(defaults.root_markers),
    root_dir = M.native_root_dir,
    settings = { cadre = vim.empty_dict() },
    capabilities = M.extra_capabilities(defaults),
    handlers = handlers.table(),
  }
end

--- setup(opts) on 0.11+: the same options as a vim.lsp.config('cadre', ...) override, only the keys
--- the user gave (anything else comes from lsp/cadre.lua and vim.lsp.config('*')).
function M.native_overrides(opts, user)
  user = user or {}
  local out = { cmd = opts.cmd, filetypes = opts.filetypes, root_markers = opts.root_markers }
  if user.cmd_env then
    out.cmd_env = opts.cmd_env
  end
  if user.settings then
    out.settings = M.settings_payload(opts.settings)
  end
  if user.show_document ~= nil or user.capabilities then
    out.capabilities = vim.tbl_deep_extend('force', M.extra_capabilities(opts), opts.capabilities or {})
  end
  if user.on_attach then
    out.on_attach = opts.on_attach
  end
  return out
end

--- The client config for one root (the table vim.lsp.start / start_client take).
function M.client_config(opts, root)
  local payload = M.settings_payload(opts.settings)
  return {
    name = M.name,
    cmd = opts.cmd,
    cmd_env = opts.cmd_env,
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = root } },
    init_options = payload,
    settings = payload,
    capabilities = capabilities(opts),
    handlers = handlers.table(),
    on_init = function(client)
      M.call(client, 'notify', 'workspace/didChangeConfiguration', { settings = client.config.settings })
      return true
    end,
    on_attach = opts.on_attach,
  }
end

local function usable(client)
  return client ~= nil and not (client.is_stopped and M.call(client, 'is_stopped'))
end

local function executable(cmd)
  if vim.fn.executable(cmd[1]) == 1 then
    return true
  end
  if not warned_missing then
    warned_missing = true
    vim.notify(string.format(
      'cadre: `%s` is not executable. Install cadre-lsp (pip install cadre-lsp) or set `cmd` in '
        .. "require('cadre').setup(); :checkhealth cadre shows what was found.", cmd[1]), vim.log.levels.ERROR)
  end
  return false
end

--- Start (or reuse) the client for `bufnr`'s root and attach it. Returns the client id or nil.
function M.attach(opts, bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  if vim.api.nvim_buf_get_option(bufnr, 'buftype') ~= '' then
    return nil
  end
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == '' or not executable(opts.cmd) then
    return nil
  end
  local root = M.find_root(name, opts.root_markers)
  if vim.lsp.start then
    return vim.lsp.start(M.client_config(opts, root), { bufnr = bufnr })
  end
  local id = clients_by_root[root]
  if not usable(id and vim.lsp.get_client_by_id(id)) then
    id = vim.lsp.start_client(M.client_config(opts, root))
    if not id then
      return nil
    end
    clients_by_root[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
  return id
end

--- The cadre clients attached to `bufnr` (0 = current), or every cadre client when bufnr is nil.
function M.clients(bufnr)
  local out = {}
  local all
  if vim.lsp.get_clients then
    all = vim.lsp.get_clients(bufnr and { bufnr = bufnr == 0 and vim.api.nvim_get_current_buf() or bufnr } or nil)
  elseif bufnr then
    all = vim.tbl_values(vim.lsp.buf_get_clients(bufnr))
  else
    all = vim.lsp.get_active_clients()
  end
  for _, c in ipairs(all) do
    if c.name == M.name then
      table.insert(out, c)
    end
  end
  return out
end

--- The cadre client for the current buffer, else any running cadre client.
function M.client()
  return M.clients(0)[1] or M.clients(nil)[1]
end

--- workspace/executeCommand on `client`; `callback(err, result)` gets the reply.
function M.execute(client, command, argument, callback, bufnr)
  local params = { command = command, arguments = { argument } }
  return M.call(client, 'request', 'workspace/executeCommand', params, function(err, result)
    if callback then
      callback(err, result)
    elseif err then
      vim.notify(string.format('cadre: %s failed: %s', command, err.message or vim.inspect(err)),
        vim.log.levels.ERROR)
    end
  end, bufnr)
end

return M
