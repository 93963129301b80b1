export type {
  PostgresQueryable,
  PostgresUserAdapter,
  PostgresUsersOptions,
} from './users/postgres-users.js'
export { createPostgresUsers } from './users/postgres-users.js'
