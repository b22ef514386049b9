// The monitoring area: the read-only status checks of both VMs (npm run status) and the daily
// alarms they log to syslog under stable tags.
export * from "./monitoring";
export * from "./statusPlan";
