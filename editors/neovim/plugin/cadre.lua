-- The :Cadre* commands and the client-side `cadre.runWithPattern` command, available as soon as the
-- plugin is on 'runtimepath' (so `vim.lsp.enable('cadre')` alone gives them too). Starts nothing:
-- the client comes from vim.lsp.enable('cadre') (0.11+) or require('cadre').setup() (0.7+).
if vim.g.loaded_cadre then
  return
end
vim.g.loaded_cadre = true
require('cadre.commands').create()
