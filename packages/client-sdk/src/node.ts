// The Node.js entry: storages that the processes of one machine share, and the lock that makes
// them refresh one at a time. Browsers never load it: it needs `node:fs` and a lock file.
export type { ProcessCoordinatorOptions } from './node/process-coordinator.js'
export { processCoordinator } from './node/process-coordinator.js'
export type { FileStorage, FileStorageOptions } from './storage/file-storage.js'
export { fileStorage } from './storage/file-storage.js'
export type { KeychainStorage, KeychainStorageOptions } from './storage/keychain-storage.js'
export { keychainStorage } from './storage/keychain-storage.js'
