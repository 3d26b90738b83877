/**
 * "cadre: Install server": the decisions behind setting up cadre-lsp from the extension, kept free of
 * the vscode API so they are unit-tested (src/test/install.test.ts); extension.ts does the prompting,
 * the progress notification and the process runs.
 *
 * The managed server is a venv in the extension's global storage (`<globalStorage>/server-venv`), made
 * with the Python extension's interpreter when there is one (else `python3`), into which pip installs
 * the cadre-lsp wheel bundled in the .vsix (`server/cadre_lsp-*.whl`, put there by ci.sh) or, without
 * one, `cadre-lsp` from the package index. Once made it is reused: it comes right after the user's own
 * settings and before PATH.
 */

import * as path from 'node:path';

import type { LocateResult, ServerLaunch } from './settings';

export const VENV_DIR = 'server-venv';

export interface ManagedPaths {
  venv: string;
  python: string;
  executable: string;
}

/** Where the managed venv and its interpreter and script live under `storageDir`. */
export function managedPaths(storageDir: string, platform: NodeJS.Platform): ManagedPaths {
  const venv = path.join(storageDir, VENV_DIR);
  const bin = platform === 'win32' ? path.join(venv, 'Scripts') : path.join(venv, 'bin');
  const exe = platform === 'win32' ? '.exe' : '';
  return { venv, python: path.join(bin, `python${exe}`), executable: path.join(bin, `cadre-lsp${exe}`) };
}

export interface InstallFacts {
  /** locateServer's answer for the user's settings and PATH. */
  located: LocateResult;
  /** The managed venv's cadre-lsp script, when it exists and is executable. */
  managedExecutable?: string;
  /** The user said "Don't ask again" (kept in globalState). */
  declined: boolean;
  /** The Python extension's interpreter for the workspace, if that extension is installed and has one. */
  pythonExtensionInterpreter?: string;
  /** The cadre-lsp wheel shipped inside the .vsix, if any. */
  bundledWheel?: string;
  platform: NodeJS.Platform;
}

export type InstallDecision =
  /** Start the server the user configured or that is on PATH. */
  | { kind: 'start'; launch: ServerLaunch }
  /** Start the venv made earlier by "Install server". */
  | { kind: 'start-managed'; launch: ServerLaunch }
  /** Nothing configured, nothing found: offer to install, with this interpreter and this package. */
  | { kind: 'offer'; python: string; pythonSource: 'Python extension' | 'PATH'; requirement: string; fromWheel: boolean }
  /** The user configured a server that is not there, or declined the offer: show the usual problem. */
  | { kind: 'missing'; message: string };

export const PYPI_REQUIREMENT = 'cadre-lsp';

/**
 * What to do on start. The user's settings win (even when broken: we never replace a server the user
 * chose with our own); then the managed venv; then PATH; then the offer, unless declined.
 */
export function decideStart(facts: InstallFacts): InstallDecision {
  const { located } = facts;
  const configured = located.launch.source !== 'PATH';
  if (configured) {
    return located.ok ? { kind: 'start', launch: located.launch } : { kind: 'missing', message: located.message };
  }
  if (facts.managedExecutable) {
    return { kind: 'start-managed', launch: { command: facts.managedExecutable, args: ['serve'], source: 'PATH' } };
  }
  if (located.ok) return { kind: 'start', launch: located.launch };
  if (facts.declined) return { kind: 'missing', message: located.message };
  return offer(facts);
}

/** The offer's interpreter and package: the Python extension's interpreter, else python3 (python on Windows). */
export function offer(facts: Pick<InstallFacts, 'pythonExtensionInterpreter' | 'bundledWheel' | 'platform'>): InstallDecision & { kind: 'offer' } {
  const fromExtension = facts.pythonExtensionInterpreter;
  return {
    kind: 'offer',
    python: fromExtension || (facts.platform === 'win32' ? 'python' : 'python3'),
    pythonSource: fromExtension ? 'Python extension' : 'PATH',
    requirement: facts.bundledWheel ?? PYPI_REQUIREMENT,
    fromWheel: Boolean(facts.bundledWheel),
  };
}

export interface InstallStep {
  title: string;
  command: string;
  args: string[];
}

/** The commands that make the managed venv and install cadre-lsp into it, in order. */
export function installSteps(python: string, requirement: string, paths: ManagedPaths): InstallStep[] {
  return [
    { title: 'creating a virtual environment', command: python, args: ['-m', 'venv', '--clear', paths.venv] },
    {
      title: `installing ${path.basename(requirement)}`,
      command: paths.python,
      args: ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', requirement],
    },
    { title: 'checking the server', command: paths.executable, args: ['--version'] },
  ];
}

/** The newest bundled wheel among the file names of the .vsix's `server/` folder (or undefined). */
export function pickBundledWheel(files: readonly string[]): string | undefined {
  const wheels = files.filter((f) => /^cadre_lsp-[^-]+-.*\.whl$/.test(f)).sort();
  return wheels[wheels.length - 1];
}
