import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { ACCOUNT } from './cloudformation';

export const MOTO_INSTALL = "pip install 'moto[server]==5.2.1'";

/** moto is not installed where the suite runs: it fails (a skipped suite would hide the gap) and says how to fix it. */
export class MotoServerMissingError extends Error {
  constructor() {
    super(
      `moto_server is not on PATH (${process.env.PATH ?? ''}): the deployed-composition suite needs moto's server. ` +
        `Install it with: ${MOTO_INSTALL}`,
    );
    this.name = 'MotoServerMissingError';
  }
}

/** The first executable named `name` on PATH. */
export function findOnPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const directory of path.split(delimiter).filter(Boolean)) {
    const candidate = join(directory, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A TCP port nobody listens on now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface MotoServer {
  readonly url: string;
  /** What moto printed (werkzeug's request lines, Python tracebacks). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `moto_server` on `port` as a child process group of its own (at once: nothing is awaited before the spawn,
 * so it boots while the caller does other work), and resolves when it answers.
 */
export async function startMotoServer(port: number, timeoutMs = 30_000): Promise<MotoServer> {
  const executable = findOnPath('moto_server');
  if (!executable) throw new MotoServerMissingError();
  const child: ChildProcess = spawn(executable, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    // The account every ARN of the suite names, whatever the machine's environment says.
    env: { ...process.env, MOTO_ACCOUNT_ID: ACCOUNT },
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    // Only the tail: werkzeug logs a line per request.
    output = (output + chunk.toString('utf8')).slice(-200_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    // The group: a pyenv shim or a wrapper script may stand between us and Python.
    process.kill(-child.pid, 'SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(`${url}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`moto_server did not answer on ${url} within ${timeoutMs} ms:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return { url, output: () => output, stop };
}
