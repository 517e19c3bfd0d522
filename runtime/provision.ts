import { resolveTemporalCli } from './temporalCli';

/** `npm run temporal:provision`: makes sure a Temporal CLI is available, building it if need be. */
if (process.env.TEMPORAL_ADDRESS && !process.env.CI) {
  console.log(`[temporal-cli] TEMPORAL_ADDRESS=${process.env.TEMPORAL_ADDRESS}: using that server for the app; tests still start their own`);
}
const cli = resolveTemporalCli();
console.log(cli.kind === 'binary' ? `[temporal-cli] using ${cli.path} (${cli.source})` : '[temporal-cli] using the SDK download');
