// The stack-file reader, shared with the command-line tools.
export * from "../../components/config/stackFile";
