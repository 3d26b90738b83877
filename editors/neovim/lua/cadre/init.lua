-- cadre: Neovim client for cadre-lsp (Explain / Implement / Fix / Review with local models).
--
--   Neovim 0.11+:  vim.lsp.enable('cadre')   (lsp/cadre.lua; options through vim.lsp.config('cadre', {...}))
--   Neovim 0.7+:   require('cadre').setup({ cmd = {...}, settings = {...}, filetypes = {...} })
--
-- Works on Neovim 0.7.2 and newer; on 0.11+ setup() itself goes through vim.lsp.config + vim.lsp.enable. Code actions come through the usual vim.lsp.buf.code_action()
-- (0.7: :lua vim.lsp.buf.range_code_action() for a visual range); explain results open in a float
-- (:CadreLast); require('cadre').statusline() shows running jobs and progress; :CadreStatus,
-- :CadreCancel, :CadreExplain/:CadreImplement/:CadreFix/:CadreReview; :checkhealth cadre.

local config = require('cadre.config')

local M = {}

M.options = nil

local function attach_matching(bufnr)
  local ft = vim.api.nvim_buf_get_option(bufnr, 'filetype')
  if vim.tbl_contains(M.options.filetypes, ft) then
    require('cadre.lsp').attach(M.options, bufnr)
  end
end

--- Configure cadre and start attaching it to buffers of the configured filetypes.
function M.setup(opts)
  M.options = config.merge(opts)
  require('cadre.ui').configure(M.options.float)
  require('cadre.handlers').configure({
    show_explain = M.options.show_explain,
    notify_summaries = M.options.notify_summaries,
  })
  require('cadre.commands').create()

  if vim.fn.has('nvim-0.11') == 1 and vim.lsp.config and vim.lsp.enable then
    -- The 0.11+ way: lsp/cadre.lua under the user's vim.lsp.config('*') defaults, setup()'s options over it.
    vim.lsp.config('cadre', require('cadre.lsp').native_overrides(M.options, opts))
    vim.lsp.enable('cadre')
    return M
  end

  local group = vim.api.nvim_create_augroup('cadre', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = M.options.filetypes,
    callback = function(args)
      require('cadre.lsp').attach(M.options, args.buf)
    end,
    desc = 'cadre: attach the cadre-lsp client',
  })
  -- Buffers opened before setup() ran (lazy loading) get the client too.
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) then
      attach_matching(bufnr)
    end
  end
  return M
end

--- Statusline component: '' when idle, else the first running job's progress, e.g.
--- 'cadre: Fix · generating 40% (+1)'. Use in 'statusline' as %{v:lua.require'cadre'.statusline()}.
function M.statusline()
  return require('cadre.state').statusline()
end

--- Run an action on the current buffer: action is 'explain' | 'implement' | 'fix' | 'review';
--- opts: { range = LSP range, instruction = string, pattern = string, callback = fn(err, result) }.
function M.run(action, opts)
  return require('cadre.commands').run(action, opts)
end

M.cancel = function(job_id) return require('cadre.commands').cancel(job_id) end
M.status = function(callback) return require('cadre.commands').status(callback) end
M.last = function() return require('cadre.commands').last() end

--- The state the server reported: { jobs, models, progress, last, last_explain, ... }.
function M.state()
  return require('cadre.state')
end

return M
