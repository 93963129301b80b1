// What the examples of the docs and READMEs call but leave to the reader's app: declared here,
// once, so each example shows only what it is about. Keep this list short; anything the
// packages export is imported by the example itself.
declare function showLogin(): void
declare function showError(message: string): void
declare function showProblems(
  details: readonly { field: string; problem: string }[] | undefined,
): void
