// The database area: MySQL 8.4 on the DB VM, TLS-only, and its operator account.
export * from "./mysqlServer";
