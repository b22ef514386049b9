// The backup area: Borg repositories, timers, the restore drill and the pre-upgrade archive.
export * from "./backup";
export * from "./backupPlan";
