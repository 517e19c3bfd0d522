/** setupFiles: runs in each test file's realm before its tests (see sqliteErrors.ts). */
import { throwSqliteErrorsOfThisRealm } from './sqliteErrors';

throwSqliteErrorsOfThisRealm();
