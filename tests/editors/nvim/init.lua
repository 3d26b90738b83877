-- Minimal init for the headless e2e test: only the cadre plugin, started the way $CADRE_TEST_MODE says
-- with the server command the test passes in $CADRE_TEST_CMD (a JSON list):
--   setup  -> require('cadre').setup({...})          (Neovim 0.7+; on 0.11+ it goes through vim.lsp.enable)
--   enable -> vim.lsp.config('*', ...) + vim.lsp.config('cadre', ...) + vim.lsp.enable('cadre')   (0.11+)
-- Usable by hand too:
--   CADRE_NVIM_PLUGIN=editors/neovim CADRE_TEST_CMD='["cadre-lsp","serve"]' nvim -u tests/editors/nvim/init.lua some.py
local plugin = vim.env.CADRE_NVIM_PLUGIN
vim.opt.runtimepath:prepend(plugin)
vim.opt.swapfile = false
vim.opt.shadafile = 'NONE'
vim.cmd('filetype on')

local cmd = vim.fn.json_decode(vim.env.CADRE_TEST_CMD)
if vim.env.CADRE_TEST_MODE == 'enable' then
  -- A user's defaults for every server: cadre's lsp/cadre.lua must keep them (merged, not replaced).
  vim.lsp.config('*', {
    capabilities = { experimental = { userDefault = true } },
    on_attach = function(client, _)
      vim.g.cadre_test_star_on_attach = client.name
    end,
  })
  vim.lsp.config('cadre', { cmd = cmd, settings = { cadre = { hover = { enabled = false } } } })
  vim.lsp.enable('cadre')
else
  require('cadre').setup({
    cmd = cmd,
    settings = { hover = { enabled = false } },
  })
end
