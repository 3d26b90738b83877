-- Headless Neovim 0.7 against cadre-lsp: Review -> diagnostic -> quick fix, then Fix on a non-ASCII line,
-- both through vim.lsp.buf.code_action() with vim.ui.select stubbed to pick an item by title.
local out = {steps = {}, progress = 0}
local function fail(msg)
  out.error = msg
  vim.fn.writefile({vim.fn.json_encode(out)}, vim.env.CADRE_OUT)
  vim.cmd('cquit 1')
end
local function step(name) table.insert(out.steps, name) end

vim.api.nvim_create_autocmd('User', {pattern = 'LspProgressUpdate', callback = function()
  out.progress = out.progress + 1
  vim.lsp.util.get_progress_messages()
end})

local client_id = vim.lsp.start_client({
  name = 'cadre',
  cmd = {vim.env.CADRE_PYTHON, '-m', 'cadre_lsp.lsp', '--config', vim.env.CADRE_CONFIG_FILE},
  root_dir = vim.env.CADRE_ROOT,
  handlers = {['cadre/result'] = function(_, result) out.last_result = result end,
              ['cadre/jobs'] = function() end},
})
if not client_id then fail('start_client failed') end
vim.cmd('edit ' .. vim.env.CADRE_FILE)
vim.lsp.buf_attach_client(0, client_id)
if not vim.wait(20000, function()
  local c = vim.lsp.get_client_by_id(client_id); return c ~= nil and c.initialized
end, 50) then fail('client did not initialize') end
step('initialized')

local function buffer_text() return table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n') end
local function find_line(needle)
  for i, line in ipairs(vim.api.nvim_buf_get_lines(0, 0, -1, false)) do
    if line:find(needle, 1, true) then return i end
  end
  fail('no line with ' .. needle)
end
local function pick(prefix)
  vim.ui.select = function(items, opts, on_choice)
    local titles = {}
    for i, item in ipairs(items) do
      local title = item[2] and item[2].title or item.title
      table.insert(titles, title)
      if title:sub(1, #prefix) == prefix then return on_choice(item, i) end
    end
    fail('no action starting with ' .. prefix .. ' in ' .. table.concat(titles, ' | '))
  end
end

-- 1. The four actions are listed.
vim.api.nvim_win_set_cursor(0, {find_line('total -= p'), 8})
local params = vim.lsp.util.make_range_params()
params.context = {diagnostics = {}}
local res = vim.lsp.buf_request_sync(0, 'textDocument/codeAction', params, 5000)
local titles = {}
for _, r in pairs(res or {}) do for _, a in ipairs(r.result or {}) do titles[a.title] = true end end
for _, t in ipairs({'cadre: Explain', 'cadre: Implement', 'cadre: Fix', 'cadre: Review'}) do
  if not titles[t] then fail('missing action ' .. t) end
end
step('listed')

-- 2. Review publishes a diagnostic on the buggy line.
pick('cadre: Review')
vim.lsp.buf.code_action()
if not vim.wait(30000, function() return #vim.diagnostic.get(0) > 0 end, 50) then fail('no diagnostics') end
local d = vim.diagnostic.get(0)[1]
out.diagnostic = {lnum = d.lnum, source = d.source, message = d.message}
if d.lnum + 1 ~= find_line('total -= p') then fail('diagnostic on the wrong line') end
step('reviewed')

-- 3. Its quick fix (context carries the diagnostic in byte columns) fixes the code and clears it.
pick('cadre: Fix: ')
vim.lsp.buf.code_action()
if not vim.wait(30000, function() return buffer_text():find('total += p', 1, true) ~= nil end, 50) then
  fail('quick fix not applied')
end
if not vim.wait(5000, function() return #vim.diagnostic.get(0) == 0 end, 50) then fail('diagnostic kept') end
step('quickfixed')

-- 4. Fix on a line with an emoji and an accent (utf-16 columns) lands exactly.
vim.api.nvim_win_set_cursor(0, {find_line('+ nam'), 4})
pick('cadre: Fix')
vim.lsp.buf.code_action()
if not vim.wait(30000, function() return buffer_text():find('héllo " + name', 1, true) ~= nil end, 50) then
  fail('fix on the non-ASCII line not applied: ' .. buffer_text())
end
step('fixed-non-ascii')

out.text = buffer_text()
vim.fn.writefile({vim.fn.json_encode(out)}, vim.env.CADRE_OUT)
vim.lsp.stop_client(client_id)
vim.wait(3000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 50)
vim.cmd('qa!')
