-- cadre.ui: floating windows for explain results and :CadreStatus.
--
-- A focused, scrollable float (q or <Esc> closes it) rather than vim.lsp.util's hover preview, which
-- closes on the first cursor move: explanations are read, scrolled and copied from.

local M = {}

local opts = { border = 'rounded', max_width = 100, max_height = 30 }
M.win = nil

function M.configure(float)
  opts = vim.tbl_extend('force', opts, float or {})
end

local function width_of(lines)
  local w = 20
  for _, l in ipairs(lines) do
    w = math.max(w, vim.fn.strdisplaywidth(l))
  end
  return w
end

function M.close()
  if M.win and vim.api.nvim_win_is_valid(M.win) then
    pcall(vim.api.nvim_win_close, M.win, true)
  end
  M.win = nil
end

--- Show `lines` (a list of strings) in a centred float; `filetype` sets highlighting (markdown).
--- Returns the buffer and window.
function M.float(lines, title, filetype)
  M.close()
  local buf = vim.api.nvim_create_buf(false, true)
  if title and title ~= '' then
    table.insert(lines, 1, '')
    table.insert(lines, 1, (filetype == 'markdown' and '# ' or '') .. title)
  end
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.api.nvim_buf_set_option(buf, 'modifiable', false)
  vim.api.nvim_buf_set_option(buf, 'bufhidden', 'wipe')
  vim.api.nvim_buf_set_option(buf, 'filetype', filetype or 'cadre')
  local columns, rows = vim.o.columns, vim.o.lines
  local width = math.min(width_of(lines) + 2, opts.max_width, math.max(columns - 4, 20))
  local height = math.min(#lines, opts.max_height, math.max(rows - 4, 3))
  local win = vim.api.nvim_open_win(buf, true, {
    relative = 'editor',
    width = width,
    height = height,
    row = math.max(math.floor((rows - height) / 2) - 1, 0),
    col = math.max(math.floor((columns - width) / 2), 0),
    style = 'minimal',
    border = opts.border,
  })
  vim.api.nvim_win_set_option(win, 'wrap', true)
  vim.api.nvim_win_set_option(win, 'linebreak', true)
  vim.api.nvim_win_set_option(win, 'conceallevel', 2)
  for _, key in ipairs({ 'q', '<Esc>' }) do
    vim.api.nvim_buf_set_keymap(buf, 'n', key, '<cmd>lua require("cadre.ui").close()<CR>',
      { noremap = true, silent = true, nowait = true })
  end
  M.win = win
  return buf, win
end

--- Show a cadre/result notification ({title, markdown, summary}).
function M.result(result)
  local lines = vim.split(result.markdown or '', '\n', { plain = true })
  if result.summary and result.summary ~= '' then
    vim.list_extend(lines, { '', '---', '*' .. result.summary .. '*' })
  end
  return M.float(lines, result.title or 'cadre', 'markdown')
end

return M
