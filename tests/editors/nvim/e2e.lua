-- Headless end-to-end run of the cadre plugin against the real server (scripted model), on the
-- buffer Neovim was started with (a copy of examples/shop.py). Writes a JSON report to
-- $CADRE_TEST_REPORT for the pytest side and exits 0, or `cquit 1` on the first failed step.
--
-- Steps: attach -> list code actions (buf_request_sync) -> Fix through vim.lsp.buf.code_action() with
-- vim.ui.select answering "cadre: Fix" (Neovim's own code action path) -> :CadreReview on a range ->
-- :CadreExplain (float + :CadreLast state) -> :CadreImplement on a slow exchange, then :CadreCancel ->
-- :CadreStatus data -> :checkhealth cadre.

local report = { steps = {}, statusline = {}, lsp_progress_events = 0, step_ms = {} }
local t0 = vim.loop.hrtime()
local bufnr = vim.api.nvim_get_current_buf()
local WAIT = 20000

local function write_report()
  local f = assert(io.open(vim.env.CADRE_TEST_REPORT, 'w'))
  f:write(vim.fn.json_encode(report))
  f:close()
end

local function fail(msg)
  report.error = msg
  write_report()
  io.stderr:write('e2e failed: ' .. msg .. '\n')
  vim.cmd('cquit 1')
end

local function step(name, fn)
  local ok, err = xpcall(fn, debug.traceback)
  if not ok then
    fail(name .. ': ' .. tostring(err))
  end
  table.insert(report.steps, name)
  report.step_ms[name] = math.floor((vim.loop.hrtime() - t0) / 1e6)
end

local function wait(what, predicate, ms)
  if not vim.wait(ms or WAIT, predicate, 20) then
    error('timed out waiting for ' .. what, 2)
  end
end

local state = require('cadre.state')
local cadre_lsp = require('cadre.lsp')

-- Progress as other plugins see it: the autocmd Neovim fires after each $/progress. The plugin's
-- statusline component must already show the job at that moment.
local function on_progress_event()
  report.lsp_progress_events = report.lsp_progress_events + 1
  local text = require('cadre').statusline()
  if text ~= '' then
    table.insert(report.statusline, text)
  end
end
vim.api.nvim_create_autocmd('User', { pattern = 'LspProgressUpdate', callback = on_progress_event })
pcall(vim.api.nvim_create_autocmd, 'LspProgress', { callback = on_progress_event }) -- 0.10+

local function lines()
  return vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
end

local client
step('attach', function()
  wait('the cadre client to attach and initialize', function()
    client = cadre_lsp.clients(bufnr)[1]
    return client ~= nil and client.server_capabilities ~= nil and next(client.server_capabilities) ~= nil
  end)
  report.client = { name = client.name, root = client.config.root_dir, encoding = client.offset_encoding }
  report.nvim = vim.version().major .. '.' .. vim.version().minor .. '.' .. vim.version().patch
  local caps = client.config.capabilities or {}
  report.setup_called = require('cadre').options ~= nil
  report.native = vim.lsp.is_enabled ~= nil and vim.lsp.is_enabled('cadre')
  report.star_capability = ((caps.experimental or {}).userDefault) == true
  report.star_on_attach = vim.g.cadre_test_star_on_attach
  report.pattern_picker = (((caps.experimental or {}).cadre or {}).patternPicker) == true
end)

step('code actions', function()
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = { start = { line = 5, character = 0 }, ['end'] = { line = 8, character = 0 } },
    context = { diagnostics = {} },
  }
  local replies = vim.lsp.buf_request_sync(bufnr, 'textDocument/codeAction', params, 10000) or {}
  report.actions = {}
  for _, reply in pairs(replies) do
    for _, action in ipairs(reply.result or {}) do
      table.insert(report.actions, action.title)
    end
  end
  for _, title in ipairs({ 'cadre: Explain', 'cadre: Implement', 'cadre: Fix', 'cadre: Review' }) do
    assert(vim.tbl_contains(report.actions, title), title .. ' missing from ' .. vim.inspect(report.actions))
  end
end)

step('fix via vim.lsp.buf.code_action', function()
  vim.api.nvim_win_set_cursor(0, { 8, 8 }) -- on `total -= p`
  local offered = {}
  vim.ui.select = function(items, opts, on_choice)
    local chosen
    for i, item in ipairs(items) do
      local action = item.action or item[2] -- 0.10+: {action, ctx}; 0.7-0.9: {client_id, action}
      table.insert(offered, action.title)
      if action.title == 'cadre: Fix' and not chosen then
        chosen = i
      end
    end
    on_choice(chosen and items[chosen] or nil, chosen)
  end
  if vim.fn.has('nvim-0.8') == 1 then
    vim.lsp.buf.code_action({ apply = false })
  else
    vim.lsp.buf.code_action()
  end
  wait('the fix to reach the buffer', function()
    local text = table.concat(lines(), '\n')
    return text:find('total += p', 1, true) ~= nil
  end)
  report.offered = offered
  report.after_fix = lines()
end)

step('review via :CadreReview', function()
  vim.cmd('12,18CadreReview')
  wait('cadre diagnostics', function()
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do
      if d.source == 'cadre' then
        return true
      end
    end
    return false
  end)
  report.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(report.diagnostics, { lnum = d.lnum, severity = d.severity, source = d.source, message = d.message })
  end
end)

step('explain via :CadreExplain', function()
  local before = state.results
  vim.cmd('34,36CadreExplain')
  wait('the explain result', function() return state.last_explain ~= nil end)
  local ui = require('cadre.ui')
  assert(ui.win and vim.api.nvim_win_is_valid(ui.win), 'no explain float')
  report.explain_float = vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(ui.win), 0, -1, false)
  report.explain_results = state.results - before
  ui.close()
  vim.cmd('CadreLast')
  assert(ui.win and vim.api.nvim_win_is_valid(ui.win), ':CadreLast did not reopen the float')
  ui.close()
end)

step('cancel via :CadreCancel', function()
  vim.cmd('22,26CadreImplement')
  wait('the implement job to run and show its progress', function()
    local running = false
    for _, j in ipairs(state.jobs) do
      running = running or j.action == 'implement'
    end
    for _, p in pairs(state.progress) do
      if running and p.title == 'cadre: Implement' then
        return true
      end
    end
    return false
  end)
  report.statusline_running = require('cadre').statusline()
  vim.cmd('CadreCancel')
  wait('the job list to empty', function() return #state.jobs == 0 end)
  wait('the cancelled result', function() return state.last and state.last.action == 'implement' end)
  report.cancelled = state.last.summary
  report.factorial_after_cancel = lines()[23]
end)

step('status', function()
  local got
  require('cadre').status(function(result, status_lines)
    got = { result = result, lines = status_lines }
  end)
  wait('cadre.status', function() return got ~= nil end)
  report.status = got.result
  report.status_lines = got.lines
  report.models = state.models
end)

step('ranges', function()
  -- The range commands' LSP ranges in each position encoding, on a line with a 2-byte and a 4-byte
  -- character: a charwise selection of 'é𝄞' and a linewise range.
  local scratch = vim.api.nvim_create_buf(true, true)
  vim.api.nvim_buf_set_lines(scratch, 0, -1, false, { 'aé𝄞b', 'x' })
  vim.api.nvim_set_current_buf(scratch)
  vim.cmd('exe "normal! gg0lvl\\<Esc>"')
  local commands = require('cadre.commands')
  report.ranges = {}
  for _, enc in ipairs({ 'utf-8', 'utf-16', 'utf-32' }) do
    report.ranges[enc] = {
      charwise = commands.range_for(scratch, { range = 2, line1 = 1, line2 = 1 }, enc),
      linewise = commands.range_for(scratch, { range = 2, line1 = 2, line2 = 2 }, enc),
    }
  end
  vim.api.nvim_set_current_buf(bufnr)
end)

step('progress', function()
  report.progress_seen = state.progress_seen
  report.begun = state.begun
  report.progress_left = vim.tbl_count(state.progress)
end)

step('help', function()
  -- :help cadre from the plugin's doc/ (the test runs a copy of the plugin, so helptags writes there).
  vim.cmd('helptags ' .. vim.fn.fnameescape(vim.env.CADRE_NVIM_PLUGIN .. '/doc'))
  report.help = {}
  for _, tag in ipairs({ 'cadre', 'cadre-neovim-0.11', ':CadreFix', 'cadre-options', 'cadre-statusline' }) do
    vim.cmd('help ' .. tag)
    report.help[tag] = vim.fn.expand('%:t') .. ':' .. vim.api.nvim_get_current_line()
    vim.cmd('helpclose')
  end
end)

step('checkhealth', function()
  vim.cmd('checkhealth cadre')
  report.health = vim.api.nvim_buf_get_lines(0, 0, -1, false)
end)

report.messages = vim.split(vim.fn.execute('messages'), '\n', { plain = true })
report.ok = true
write_report()
vim.cmd('qa!')
