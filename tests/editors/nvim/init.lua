-- Minimal init for the headless e2e test: only the cadre plugin, set up with the server command
-- the test passes in $CADRE_TEST_CMD (a JSON list). Usable by hand too:
--   CADRE_TEST_CMD='["cadre-lsp","serve"]' nvim -u tests/editors/nvim/init.lua some.py
local plugin = vim.env.CADRE_NVIM_PLUGIN
vim.opt.runtimepath:prepend(plugin)
vim.opt.swapfile = false
vim.opt.shadafile = 'NONE'
vim.cmd('filetype on')

require('cadre').setup({
  cmd = vim.fn.json_decode(vim.env.CADRE_TEST_CMD),
  settings = { hover = { enabled = false } },
})
