/**
 * A real S3-compatible server for the S3 file store's tests: MinIO, built by `npm run s3:install` into
 * `.parley/bin/minio` (or `PARLEY_TEST_MINIO_PATH`, or `minio` on PATH / in ~/go/bin), on free ports with its data in
 * a temporary folder. Without a binary, `findMinio()` says why and the tests skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort } from './ports';
import { waitFor } from './wait';

export function findMinio(): string | undefined {
  const candidates = [
    process.env.PARLEY_TEST_MINIO_PATH,
    path.resolve('.parley/bin/minio'),
    path.join(os.homedir(), 'go/bin/minio'),
    ...(process.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, 'minio')),
  ];
  return candidates.find((file): file is string => !!file && fs.existsSync(file));
}

export interface S3Server {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
  client: S3Client;
  stop(): Promise<void>;
}

export async function startS3Server(binary: string): Promise<S3Server> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-minio-'));
  const [port, consolePort] = [await freePort(), await freePort()];
  const accessKeyId = 'parleytest';
  const secretAccessKey = `secret-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  const child: ChildProcess = spawn(
    binary,
    ['server', dir, '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`, '--quiet'],
    { env: { ...process.env, MINIO_ROOT_USER: accessKeyId, MINIO_ROOT_PASSWORD: secretAccessKey }, stdio: 'ignore' },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`minio exited with ${child.exitCode}`);
        const res = await fetch(`${endpoint}/minio/health/live`);
        return res.ok;
      },
      { timeoutMs: 30_000, what: 'MinIO to be live' },
    );
    const client = new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId, secretAccessKey },
    });
    const bucket = 'parley-files';
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    return { endpoint, accessKeyId, secretAccessKey, bucket, client, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
