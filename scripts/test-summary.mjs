// Prints jest's real counts as one plain line, `N passed, N failed`, for CI to read.
import { existsSync, readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'reports/jest-results.json';
if (!existsSync(file)) {
  console.error(`no test results at ${file}: the tests did not run (a step before them failed)`);
  process.exit(1);
}
const results = JSON.parse(readFileSync(file, 'utf8'));
// A suite that fails to load has no failed tests of its own; count it, so that it cannot pass unseen.
const brokenSuites = results.testResults.filter(
  (suite) => suite.status === 'failed' && suite.assertionResults.length === 0,
);
const failed = results.numFailedTests + brokenSuites.length;
const skipped = results.numPendingTests + results.numTodoTests;
console.log(`${results.numPassedTests} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || !results.success ? 1 : 0);
