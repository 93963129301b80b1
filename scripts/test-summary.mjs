#!/usr/bin/env node
// Sums the vitest JSON reports (test-results/vitest*.json) of every workspace package into the one line CI reads:
//   tests: N passed, N failed, N skipped
// A package with a test script but no report counts as one failure: a run that silently
// produced nothing must not look green. `--scripts=test` names the scripts the run covered
// (default: test and test:consumer, what CI runs on its primary Node.js major).
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const packages = ['packages', 'apps']
  .flatMap((group) =>
    existsSync(join(root, group))
      ? readdirSync(join(root, group)).map((name) => join(root, group, name))
      : [],
  )
  .concat(['bench', 'reliability', 'consumer'].map((dir) => join(root, dir)))
  .filter((dir) => existsSync(join(dir, 'package.json')))

const scriptsArg = process.argv.find((arg) => arg.startsWith('--scripts='))
const scriptsRun =
  scriptsArg === undefined ? ['test', 'test:consumer'] : scriptsArg.slice(10).split(',')

let passed = 0
let failed = 0
let skipped = 0
for (const dir of packages) {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  const resultsDir = join(dir, 'test-results')
  const reports = existsSync(resultsDir)
    ? readdirSync(resultsDir).filter((name) => /^vitest.*\.json$/.test(name))
    : []
  // The consumer test runs apart from `pnpm test` (it needs the packed packages), but CI always
  // runs it on its primary Node.js major.
  const testScript = scriptsRun.find((name) => manifest.scripts?.[name] !== undefined)
  if (testScript !== undefined && !reports.includes('vitest.json')) {
    console.error(
      `test-summary: ${manifest.name} has a ${testScript} script but wrote no test-results/vitest.json`,
    )
    failed += 1
  }
  // Errors that escaped the tests fail vitest's run but not its JSON report (see vitest.shared.ts).
  const unhandledReports = existsSync(resultsDir)
    ? readdirSync(resultsDir).filter((name) => /^unhandled-errors-.*\.json$/.test(name))
    : []
  for (const name of unhandledReports) {
    const errors = JSON.parse(readFileSync(join(resultsDir, name), 'utf8'))
    failed += errors.length
    for (const error of errors) {
      console.error(`test-summary: ${manifest.name} ${name}: ${error.name}: ${error.message}`)
    }
  }
  for (const name of reports) {
    const result = JSON.parse(readFileSync(join(resultsDir, name), 'utf8'))
    // A file that failed to load has no test results of its own: count it as a failure.
    const brokenFiles = (result.testResults ?? []).filter(
      (file) => file.status === 'failed' && (file.assertionResults ?? []).length === 0,
    ).length
    const counts = {
      passed: result.numPassedTests ?? 0,
      failed: (result.numFailedTests ?? 0) + brokenFiles,
      skipped: (result.numPendingTests ?? 0) + (result.numTodoTests ?? 0),
    }
    passed += counts.passed
    failed += counts.failed
    skipped += counts.skipped
    console.error(
      `test-summary: ${manifest.name} ${name}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`,
    )
  }
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`)
process.exitCode = failed > 0 ? 1 : 0
