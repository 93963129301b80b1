// Facts about the docs site that its config and the repository's checks share.

/** Where the site is published; the packages' READMEs link here by absolute URL. */
export const DOCS_URL = 'https://refresh-kit.github.io/refresh-kit/'

/** The repository; pages link its files (bench results, the dashboard) under blob/main/ or tree/main/. */
export const REPOSITORY_URL = 'https://github.com/refresh-kit/refresh-kit'

/**
 * Pages that other generators and pages of the repository write (the HTTP API from the
 * OpenAPI document, the dev-proxy guide): a link to one of them is let through only while the
 * page does not exist yet.
 */
export const WRITTEN_ELSEWHERE = ['/guide/dev-proxy', '/reference/http-api']

/** The packages whose API reference TypeDoc writes under /reference/api/<dir>/ at build time. */
export const API_PACKAGES = [
  {
    dir: 'client-sdk',
    name: '@refresh-kit/client-sdk',
    entryPoints: ['src/index.ts', 'src/fetch.ts', 'src/cross-tab.ts'],
  },
  { dir: 'react', name: '@refresh-kit/react', entryPoints: ['src/index.ts'] },
  { dir: 'server', name: '@refresh-kit/server', entryPoints: ['src/index.ts', 'src/postgres.ts'] },
]
