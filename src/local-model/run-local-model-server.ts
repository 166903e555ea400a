/**
 * Runs a {@link LocalModelServer} as its own process, for whatever cannot load node-llama-cpp in
 * process (it is an ES module with top-level await: Jest's CommonJS transform cannot `require` it).
 *
 *   npx tsx src/local-model/run-local-model-server.ts --model "$(bash scripts/ensure-local-model.sh)"
 *
 * Options: --model <file.gguf> (else $ZAP_LOCAL_MODEL_PATH), --host, --port, --threads,
 * --context-size, --temperature, --stop-on-stdin-end (stop when the parent closes our stdin, so a parent that dies
 * leaves no server behind). Prints one JSON line on stdout once listening:
 * `{"baseURL":"http://127.0.0.1:…/v1","model":"…","loadSeconds":…}`. Stops on SIGINT and SIGTERM,
 * printing its statistics as JSON on stderr.
 */
import { parseArgs } from 'node:util';
import { LocalModelServer } from './local-model-server';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      threads: { type: 'string' },
      'context-size': { type: 'string' },
      temperature: { type: 'string' },
      'stop-on-stdin-end': { type: 'boolean', default: false },
    },
  });
  const modelPath = values.model ?? process.env.ZAP_LOCAL_MODEL_PATH;
  if (!modelPath) throw new Error('run-local-model-server: pass --model <file.gguf> or set ZAP_LOCAL_MODEL_PATH');
  const server = await LocalModelServer.start({
    modelPath,
    ...(values.host !== undefined ? { host: values.host } : {}),
    ...(values.port !== undefined ? { port: Number(values.port) } : {}),
    ...(values.threads !== undefined ? { threads: Number(values.threads) } : {}),
    ...(values['context-size'] !== undefined ? { contextSize: Number(values['context-size']) } : {}),
    ...(values.temperature !== undefined ? { temperature: Number(values.temperature) } : {}),
  });
  process.stdout.write(
    `${JSON.stringify({ baseURL: server.baseURL, model: server.modelName, loadSeconds: server.statistics().loadSeconds })}\n`,
  );

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server
      .close()
      .then(() => {
        process.stderr.write(`${JSON.stringify(server.statistics())}\n`);
        process.exit(0);
      })
      .catch((error: unknown) => {
        console.error(error);
        process.exit(1);
      });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (values['stop-on-stdin-end']) {
    process.stdin.once('end', stop);
    process.stdin.once('close', stop);
    process.stdin.resume();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
