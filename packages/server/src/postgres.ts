export type {
  PostgresQueryable,
  PostgresUserAdapter,
  PostgresUsersOptions,
} from './credentials/users/postgres-users.js'
export { createPostgresUsers } from './credentials/users/postgres-users.js'
