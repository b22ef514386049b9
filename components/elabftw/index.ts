// The eLabFTW area: the web container, the database lifecycle (install, update, check) and the
// instance settings applied through eLabFTW's API.
export * from "./databaseLifecycle";
export * from "./elabftwServer";
export * from "./elabftwSettings";
export * from "./instanceSettings";
