/**
 * Project URLs in one place. The repository address is a placeholder until the project is
 * published; package.json's `repository` field carries the same address.
 */

/** Where the project lives (placeholder). */
export const REPO_URL = 'https://github.com/cadre-lsp/cadre-lsp';

/** Installation instructions, opened by the "How to install" button when the server is missing. */
export const INSTALL_URL = `${REPO_URL}/tree/main/editors/vscode#readme`;
