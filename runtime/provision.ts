import { provisionTemporalCli } from '../platform/temporal/temporalCli';

/** `npm run temporal:provision`: makes sure a Temporal CLI is available, downloading or building it if need be. */
async function main(): Promise<void> {
  if (process.env.TEMPORAL_ADDRESS && !process.env.CI) {
    console.log(`[temporal-cli] TEMPORAL_ADDRESS=${process.env.TEMPORAL_ADDRESS}: the app and the tests use that server (its default namespace needs the search attributes; npm run cluster registers them)`);
  }
  const cli = await provisionTemporalCli();
  console.log(cli.kind === 'binary' ? `[temporal-cli] using ${cli.path} (${cli.source})` : '[temporal-cli] using the SDK download');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
