-- cadre.config: the options `require('cadre').setup()` takes, their defaults, and how they merge.

local M = {}

M.defaults = {
  -- How to start the server. Use { 'python3', '-m', 'cadre_lsp', 'serve' } when the
  -- `cadre-lsp` script is not on $PATH (e.g. installed in a virtualenv you do not activate).
  cmd = { 'cadre-lsp', 'serve' },
  cmd_env = nil,
  -- Buffers of these filetypes get the cadre client.
  filetypes = {
    'python', 'javascript', 'javascriptreact', 'typescript', 'typescriptreact',
    'rust', 'go', 'lua', 'c', 'cpp',
  },
  -- The first directory upwards holding one of these is the workspace root (one server per root);
  -- without any, the current working directory.
  root_markers = { '.cadre.toml', '.git' },
  -- The `cadre` settings (profile, endpoints, roles, action_patterns, hover, review, configFile):
  -- sent as initializationOptions and again with workspace/didChangeConfiguration.
  settings = {},
  -- Called as on_attach(client, bufnr) after the client attaches to a buffer.
  on_attach = nil,
  -- Extra client capabilities, merged over Neovim's own.
  capabilities = nil,
  -- Explain results and :CadreStatus open in a floating window.
  float = { border = 'rounded', max_width = 100, max_height = 30 },
  -- Open the float when an explain result arrives (:CadreLast reopens it either way).
  show_explain = true,
  -- Also let the server open explanations as markdown files (window/showDocument, Neovim 0.10+).
  -- Off by default: the float already shows them.
  show_document = false,
  -- Echo a one-line summary when a Fix/Implement/Review job ends.
  notify_summaries = true,
}

local islist = vim.islist or vim.tbl_islist

local function copy(t)
  return vim.deepcopy(t)
end

--- Merge user options over the defaults; lists (cmd, filetypes, root_markers) are replaced whole.
function M.merge(user)
  user = user or {}
  local out = copy(M.defaults)
  for k, v in pairs(user) do
    if type(v) == 'table' and type(out[k]) == 'table' and not islist(v) and not islist(out[k]) then
      out[k] = vim.tbl_deep_extend('force', out[k], v)
    else
      out[k] = copy(v)
    end
  end
  vim.validate({
    cmd = { out.cmd, 'table' },
    filetypes = { out.filetypes, 'table' },
    root_markers = { out.root_markers, 'table' },
    settings = { out.settings, 'table' },
    on_attach = { out.on_attach, 'function', true },
    capabilities = { out.capabilities, 'table', true },
  })
  if #out.cmd == 0 then
    error('cadre: `cmd` must name the server command, e.g. { "cadre-lsp", "serve" }')
  end
  return out
end

return M
