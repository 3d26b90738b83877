-- cadre-lsp for Neovim 0.11+: `vim.lsp.enable('cadre')` reads this file (the plugin folder is on
-- 'runtimepath'). Neovim merges it over your vim.lsp.config('*', {...}) defaults, and your
-- vim.lsp.config('cadre', { cmd = ..., settings = { cadre = {...} } }) over it. :help cadre
return require('cadre.lsp').native_config()
