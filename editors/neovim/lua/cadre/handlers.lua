-- cadre.handlers: the client-side handlers for what cadre sends beyond plain LSP.
--
-- `cadre/result` (explain text and job summaries), `cadre/jobs` (running jobs, active models) and a
-- `$/progress` wrapper that records cadre's progress for the statusline and then calls Neovim's own
-- handler, so `User LspProgressUpdate` (0.7-0.9), `LspProgress` (0.10+) and vim.lsp.status() keep
-- working for other plugins. Being per-client handlers, none of this touches other servers.

local state = require('cadre.state')
local ui = require('cadre.ui')

local M = {}

local options = { show_explain = true, notify_summaries = true }

function M.configure(opts)
  options = vim.tbl_extend('force', options, opts or {})
end

-- Failures, refusals and cancellations already reached the user (the server's showMessage, or
-- :CadreCancel's own message): repeating them as a summary would say everything twice.
local ALREADY_TOLD = { '^failed', '^not applied', '^cancelled', '^superseded' }

function M.told_already(summary)
  for _, pattern in ipairs(ALREADY_TOLD) do
    if summary:match(pattern) then
      return true
    end
  end
  return false
end

local function result(_, params, _ctx, _)
  if type(params) ~= 'table' then
    return vim.NIL
  end
  state.on_result(params)
  if params.action == 'explain' then
    if options.show_explain then
      ui.result(params)
    end
  elseif options.notify_summaries and type(params.summary) == 'string' and params.summary ~= ''
    and not M.told_already(params.summary) then
    vim.notify(string.format('%s: %s', params.title or 'cadre', params.summary), vim.log.levels.INFO)
  end
  return vim.NIL
end

local function jobs(_, params, _ctx, _)
  state.on_jobs(params)
  return vim.NIL
end

local function progress(err, params, ctx, config)
  if type(params) == 'table' then
    state.on_progress(params.token, params.value)
  end
  local default = vim.lsp.handlers['$/progress']
  if default then
    return default(err, params, ctx, config)
  end
end

--- The handlers table for a cadre client config.
function M.table()
  return {
    ['cadre/result'] = result,
    ['cadre/jobs'] = jobs,
    ['$/progress'] = progress,
  }
end

return M
