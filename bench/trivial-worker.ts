/**
 * The references' worker process: the trivial workflow and the minimal relay (bench/reference-workflows.ts) on
 * BENCH_TASK_QUEUE, with the SDK's defaults, as Parley's worker has them; the relay posts to BENCH_SINK_URL.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createReferenceActivities } from './reference-activities';

async function main(): Promise<void> {
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue: process.env.BENCH_TASK_QUEUE ?? 'bench-baseline',
    workflowsPath: require.resolve('./reference-workflows'),
    activities: createReferenceActivities(process.env.BENCH_SINK_URL ?? 'http://127.0.0.1:1/'),
  });
  process.once('SIGTERM', () => worker.shutdown());
  const running = worker.run();
  process.stdout.write('worker running\n');
  await running;
  await connection.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exitCode = 1;
});
