/**
 * A real SMTP + IMAP server (GreenMail standalone, a Java jar) for Parley's email integration: tests, CI and
 * local development. The jar comes from Maven Central through Maven and is kept under `.parley/greenmail/`.
 *
 *   npm run mail:install   find or install the jar, print its path
 *   npm run mail           SMTP on 127.0.0.1:3025, IMAP on 127.0.0.1:3143 until SIGINT/SIGTERM
 *                          users: GREENMAIL_USERS=login:password@domain,... (default support and agent @example.com)
 *
 * GreenMail keeps all mail in memory: a stop or a restart empties every mailbox and gives INBOX a new UIDVALIDITY.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { parleyHome } from '../common/paths';
import { createLogger, type Logger } from '../common/logger';
import { runProcess } from '../workers/process';

const run = promisify(execFile);

/** The newest release Maven Central had when this was written; a different one gets its own jar file. */
export const GREENMAIL_VERSION = '2.1.13';
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';
const HOST = '127.0.0.1';

export interface MailUser {
  /** What IMAP/SMTP clients log in with: the address's local part, or the whole address. */
  login: string;
  password: string;
  email: string;
}

export interface MailServerOptions {
  home?: string;
  smtpPort?: number;
  imapPort?: number;
  users: MailUser[];
  readyTimeoutMs?: number;
}

export interface MailServer {
  host: typeof HOST;
  smtpPort: number;
  imapPort: number;
  /** The JVM's pid (changes with `restart()`). */
  readonly pid: number;
  stop(): Promise<void>;
  /**
   * Stop, then start on the same ports. Mail lives in memory, so mailboxes come back empty with a new, larger
   * UIDVALIDITY, and connected clients are dropped.
   */
  restart(): Promise<void>;
}

export const MANUAL_INSTALL_HELP = `GreenMail needs Java 11 or newer and, to install it, Maven (e.g. apt-get install openjdk-17-jre-headless maven).
Or download it by hand:
  mkdir -p .parley/greenmail && curl -fLo .parley/greenmail/greenmail-standalone-${GREENMAIL_VERSION}.jar \\
    https://repo1.maven.org/maven2/com/icegreen/greenmail-standalone/${GREENMAIL_VERSION}/greenmail-standalone-${GREENMAIL_VERSION}.jar
or set GREENMAIL_JAR to a greenmail-standalone jar.`;

function javaCommand(env = process.env): string {
  return env.JAVA_HOME ? path.join(env.JAVA_HOME, 'bin', 'java') : 'java';
}

/** Runs a tool that must exist; a missing one becomes a message that says what to install. */
async function runTool(file: string, args: string[], options: { cwd?: string; timeout: number }): Promise<string> {
  try {
    const pending = run(file, args, { ...options, env: { ...process.env, CI: 'true' }, maxBuffer: 16 * 1024 * 1024 });
    // Nothing may wait for input: CI has no terminal.
    pending.child.stdin?.end();
    const { stdout, stderr } = await pending;
    return `${stdout}${stderr}`;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error(`${file} was not found.\n${MANUAL_INSTALL_HELP}`, { cause: err });
    const output = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`${path.basename(file)} ${args.join(' ')} failed: ${output || e.message}`, { cause: err });
  }
}

function isJar(file: string): boolean {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const magic = Buffer.alloc(4);
      fs.readSync(fd, magic, 0, 4, 0);
      return magic.toString('latin1') === 'PK\u0003\u0004';
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
}

/** `GREENMAIL_JAR`, else `<home>/greenmail/greenmail-standalone-<version>.jar`, installing it there with Maven. */
export async function findOrInstallGreenMail(home = parleyHome(), env = process.env): Promise<string> {
  if (env.GREENMAIL_JAR) {
    if (!isJar(env.GREENMAIL_JAR)) throw new Error(`GREENMAIL_JAR=${env.GREENMAIL_JAR} is not a jar file`);
    return path.resolve(env.GREENMAIL_JAR);
  }
  const dir = path.join(home, 'greenmail');
  const jar = path.join(dir, `greenmail-standalone-${GREENMAIL_VERSION}.jar`);
  if (isJar(jar)) return jar;

  await runTool(javaCommand(env), ['-version'], { timeout: 60_000 });
  // Into a folder of our own, then rename: parallel test workers never see a half-copied jar.
  fs.mkdirSync(dir, { recursive: true });
  const partial = fs.mkdtempSync(path.join(dir, 'download-'));
  try {
    await runTool(
      'mvn',
      [
        '--batch-mode',
        '--quiet',
        '--no-transfer-progress',
        '-Dstyle.color=never',
        `${DEPENDENCY_PLUGIN}:copy`,
        `-Dartifact=com.icegreen:greenmail-standalone:${GREENMAIL_VERSION}:jar`,
        `-DoutputDirectory=${partial}`,
      ],
      // Its own empty folder as cwd, so no pom.xml around us changes what Maven does.
      { cwd: partial, timeout: 600_000 },
    );
    const copied = path.join(partial, path.basename(jar));
    if (!isJar(copied)) throw new Error(`Maven reported success but left no jar at ${copied}`);
    fs.renameSync(copied, jar);
  } finally {
    fs.rmSync(partial, { recursive: true, force: true });
  }
  return jar;
}

/** Distinct free ports: all sockets stay open until every port is picked, so none is handed out twice. */
async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => net.createServer());
  try {
    return await Promise.all(
      servers.map(
        (server) =>
          new Promise<number>((resolve, reject) => {
            server.once('error', reject);
            server.listen(0, HOST, () => resolve((server.address() as net.AddressInfo).port));
          }),
      ),
    );
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

/** GreenMail's `greenmail.users` value (`login:password@domain`) plus how its logins are formed. */
function usersProperties(users: MailUser[]): string[] {
  if (users.length === 0) throw new Error('startMailServer needs at least one user');
  const byEmail = users.every((u) => u.login === u.email);
  const entries = users.map((u) => {
    const at = u.email.lastIndexOf('@');
    const local = u.email.slice(0, at);
    const domain = u.email.slice(at + 1);
    if (at <= 0 || !domain || local.includes(':') || /[,\s]/.test(u.email))
      throw new Error(`mail user ${u.email}: not an address GreenMail can take`);
    if (u.login !== (byEmail ? u.email : local))
      throw new Error(
        `mail user ${u.email}: GreenMail logs every user in by the local part or every user by the whole address, not a mix (got login ${u.login})`,
      );
    // GreenMail splits the list on commas; an empty password would not match its pattern.
    if (!u.password || u.password.includes(','))
      throw new Error(`mail user ${u.email}: the password must be non-empty and without commas`);
    return `${local}:${u.password}@${domain}`;
  });
  const props = [`-Dgreenmail.users=${entries.join(',')}`];
  if (byEmail) props.push('-Dgreenmail.users.login=email');
  return props;
}

/** The JVM's command line. Per-protocol hostnames on purpose: `greenmail.hostname` also starts the REST API on 8080. */
export function greenMailArgs(jar: string, smtpPort: number, imapPort: number, users: MailUser[]): string[] {
  return [
    // A small test server: the serial GC and C1 only start faster and use less memory than the defaults.
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    `-Dgreenmail.smtp.hostname=${HOST}`,
    `-Dgreenmail.smtp.port=${smtpPort}`,
    `-Dgreenmail.imap.hostname=${HOST}`,
    `-Dgreenmail.imap.port=${imapPort}`,
    ...usersProperties(users),
    // Must be `=true`: GreenMail reads the bare flag as "false". Delivers support+token@ to support@'s INBOX.
    '-Dgreenmail.sieve.ignore.detail=true',
    '-jar',
    jar,
  ];
}

function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`${HOST}:${port} is taken (${err.code ?? err.message}); is another mail server running?`)),
    );
    probe.listen(port, HOST, () => probe.close(() => resolve()));
  });
}

/** Reads the first line a server sends on connect. */
function greeting(port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: HOST, port });
    let data = '';
    const done = (err: Error | undefined, line?: string): void => {
      socket.destroy();
      if (err) reject(err);
      else resolve(line ?? '');
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`no greeting on port ${port} within ${timeoutMs} ms`)));
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      const end = data.indexOf('\n');
      if (end >= 0) done(undefined, data.slice(0, end).trim());
    });
    socket.once('error', (err) => done(err));
    socket.once('close', () => done(new Error(`port ${port} closed before greeting`)));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/**
 * Starts the JVM behind a watchdog: `sh` forks a reader of our stdin pipe, then execs java (same pid). When this
 * process ends in any way, SIGKILL included, the pipe closes and the watchdog kills the JVM, so a crashed test
 * run leaves no server behind.
 */
function spawnWithWatchdog(java: string, args: string[]): ChildProcess {
  const script = 'exec 3<&0; jvm=$$; (read -r _ <&3; kill -9 "$jvm" 2>/dev/null) & exec "$0" "$@"';
  return spawn('sh', ['-c', script, java, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
}

async function launch(
  jar: string,
  smtpPort: number,
  imapPort: number,
  options: MailServerOptions,
): Promise<{ child: ChildProcess; stop: () => Promise<void> }> {
  // Else the readiness check below could take another server's greeting for ours.
  await Promise.all([assertPortFree(smtpPort), assertPortFree(imapPort)]);
  const child = spawnWithWatchdog(javaCommand(), greenMailArgs(jar, smtpPort, imapPort, options.users));
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let failure: string | undefined;
  child.once('error', (err) => {
    failure = `could not start GreenMail: ${err.message}`;
  });
  child.once('exit', (code, signal) => {
    failure =
      code === 127
        ? `${javaCommand()} was not found.\n${MANUAL_INSTALL_HELP}`
        : `GreenMail exited (${signal ?? code}) before it was ready:\n${output.trim()}`;
  });

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited(child);
      clearTimeout(timer);
    }
    // Lets the watchdog read EOF and exit.
    child.stdin?.end();
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  let lastError: string;
  for (;;) {
    if (failure) {
      await stop();
      throw new Error(failure);
    }
    try {
      const [smtp, imap] = await Promise.all([greeting(smtpPort, 2000), greeting(imapPort, 2000)]);
      if (smtp.startsWith('220') && imap.startsWith('* OK')) break;
      lastError = `unexpected greetings: ${smtp} / ${imap}`;
    } catch (err) {
      lastError = (err as Error).message;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`GreenMail was not ready within the deadline: ${lastError}\n${output.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, stop };
}

export async function startMailServer(options: MailServerOptions): Promise<MailServer> {
  const jar = await findOrInstallGreenMail(options.home ?? parleyHome());
  let smtpPort = options.smtpPort;
  let imapPort = options.imapPort;
  if (smtpPort === undefined || imapPort === undefined) {
    const [a, b] = await freePorts(2);
    smtpPort ??= a as number;
    imapPort ??= b as number;
  }
  let current = await launch(jar, smtpPort, imapPort, options);
  const ports = { smtpPort, imapPort };
  return {
    host: HOST,
    ...ports,
    get pid() {
      return current.child.pid ?? -1;
    },
    stop: () => current.stop(),
    async restart() {
      await current.stop();
      // GreenMail's UIDVALIDITY is the folder's creation time in epoch seconds: start the new JVM in a later
      // second than any old folder was made, so every UIDVALIDITY grows and no client mistakes new UIDs for old.
      await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 10));
      current = await launch(jar, ports.smtpPort, ports.imapPort, options);
    },
  };
}

/** `GREENMAIL_USERS` in GreenMail's own `login:password@domain,...` form; the login is the local part. */
export function usersFromEnv(env = process.env): MailUser[] {
  const spec = env.GREENMAIL_USERS ?? 'support:support@example.com,agent:agent@example.com';
  return spec
    .split(',')
    .filter((entry) => entry.trim())
    .map((entry) => {
      const match = /^([^:]+):(.+)@([^@]+)$/.exec(entry.trim());
      if (!match) throw new Error(`GREENMAIL_USERS: expected login:password@domain, got "${entry}"`);
      const [, login = '', password = '', domain = ''] = match;
      return { login, password, email: `${login}@${domain}` };
    });
}

async function runDevServer(log: Logger): Promise<() => Promise<void>> {
  const users = usersFromEnv();
  const server = await startMailServer({ users, smtpPort: 3025, imapPort: 3143 });
  const accounts = users.map((u) => `  ${u.email}  login ${u.login}  password ${u.password}`).join('\n');
  process.stdout.write(
    `GreenMail ${GREENMAIL_VERSION}: SMTP ${server.host}:${server.smtpPort}, IMAP ${server.host}:${server.imapPort} ` +
      `(plain, no TLS; IMAP needs the password, SMTP checks AUTH when a client offers it; mail kept in memory only)\n${accounts}\n` +
      `Plus addresses (support+token@example.com) land in the base address's INBOX. Ctrl-C stops it.\n`,
  );
  log.debug({ pid: server.pid }, 'GreenMail running');
  return () => server.stop();
}

if (require.main === module) {
  const command = process.argv[2];
  if (command === 'install') {
    findOrInstallGreenMail().then(
      (jar) => process.stdout.write(`${jar}\n`),
      (err: unknown) => {
        process.stderr.write(`mail:install: ${(err as Error).message}\n`);
        process.exitCode = 1;
      },
    );
  } else if (command === 'run') {
    runProcess(runDevServer, createLogger({ name: 'parley-mail' }));
  } else {
    process.stderr.write('usage: node --import tsx scripts/mail-server.ts install|run\n');
    process.exitCode = 2;
  }
}
