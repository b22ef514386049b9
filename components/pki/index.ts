// The PKI area: the private CA and its certificates, and every generated secret.
export * from "./defuseKey";
export * from "./privateCa";
export * from "./secrets";
