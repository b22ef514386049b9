// pulumi-language-nodejs, a stand-in written for this project.
//
// Why it exists: the real Node.js language host is the Go module
// github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3, and the Go
// module proxy reachable from the build machines refuses it ("403 This module
// version is not available", for its version list, for the commit of
// pkg/v3.248.0 and for the pseudo-version v3.0.0-20260624180030-dc7edd58bc13).
// The engine (pulumi CLI v3.248.0, built from pkg/v3) needs a language host to
// run a Node.js program or a Node.js policy pack, so this one is built beside it
// from sdk/v3 v3.248.0, which the proxy does serve.
//
// What it reproduces of the real host (v3.248.0), from the protocol:
//   - prints its port on stdout and serves pulumirpc.LanguageRuntime;
//   - Run: resolves @pulumi/pulumi/cmd/run from the program directory and runs
//     it with node, with the same flags (--monitor, --engine, --organization,
//     --project, --root-directory, --stack, --pwd, --dry-run, --parallel, the
//     entry point, then the program's arguments) and environment
//     (PULUMI_CONFIG with keys as "<namespace>:config:<name>",
//     PULUMI_CONFIG_SECRET_KEYS, PULUMI_NODEJS_TYPESCRIPT,
//     PULUMI_NODEJS_TSCONFIG_PATH, the runtime option nodeargs); exit code 32
//     means "already reported" (Bail);
//   - GetRequiredPackages: every package.json under node_modules (deeply,
//     symlinks followed, policy packs skipped) whose "pulumi" section has
//     "resource": true gives a resource plugin named by "pulumi.name" (or the
//     @pulumi/ package's short name) at "pulumi.version" (or the package
//     version), prefixed with "v";
//   - RunPlugin: a policy pack (kind analyzer) runs
//     @pulumi/pulumi/cmd/run-policy-pack from the pack's folder behind
//     sdk/v3's PolicyProxy (so the pack gets the stack's configuration); other
//     plugins run @pulumi/pulumi/cmd/run-plugin;
//   - GetPluginInfo, Handshake, About, GetProgramDependencies (package.json's
//     dependencies), Cancel.
//
// What it does not: the monitor proxy and the synchronous-invoke pipes
// (--sync; the program talks to the engine's monitor directly, so the
// deprecated synchronous invokes are not available), bun, debugger attach,
// InstallDependencies (it installs nothing: run `npm ci` yourself), code
// generation (GenerateProject/Program/Package, Pack, Link), templates and the
// out-of-memory hint.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/shlex"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// The exit code with which @pulumi/pulumi/cmd/run says the error was already shown.
const exitAlreadyReported = 32

type languageHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	mu            sync.Mutex
	engineAddress string
	children      map[*exec.Cmd]struct{}
}

func main() {
	var engineAddress string
	for _, arg := range os.Args[1:] {
		switch {
		case arg == "-version" || arg == "--version":
			fmt.Println(version.Version)
			return
		case strings.HasPrefix(arg, "-"):
			// -tracing=..., -runtime=nodejs, logging flags: accepted and ignored.
		default:
			engineAddress = arg
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cancel := make(chan bool)
	go func() {
		<-ctx.Done()
		close(cancel)
	}()

	host := &languageHost{engineAddress: engineAddress, children: map[*exec.Cmd]struct{}{}}
	if engineAddress != "" {
		// Exit when the engine goes away, as the real host does.
		if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, stop); err != nil {
			fmt.Fprintf(os.Stderr, "could not start health check: %v\n", err)
			os.Exit(1)
		}
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "could not start the language host: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "language host stopped serving: %v\n", err)
		os.Exit(1)
	}
}

type runtimeOptions struct {
	typescript bool
	tsconfig   string
	nodeargs   []string
}

func parseOptions(info *pulumirpc.ProgramInfo) (runtimeOptions, error) {
	opts := runtimeOptions{typescript: true}
	if info == nil || info.GetOptions() == nil {
		return opts, nil
	}
	m := info.GetOptions().AsMap()
	if v, ok := m["typescript"]; ok {
		b, isBool := v.(bool)
		if !isBool {
			return opts, errors.New("typescript option must be a boolean")
		}
		opts.typescript = b
	}
	if v, ok := m["tsconfig"].(string); ok {
		opts.tsconfig = v
	}
	if v, ok := m["nodeargs"].(string); ok && v != "" {
		args, err := shlex.Split(v)
		if err != nil {
			return opts, fmt.Errorf("nodeargs: %w", err)
		}
		opts.nodeargs = args
	}
	return opts, nil
}

func (o runtimeOptions) env() []string {
	var env []string
	if o.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if o.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+o.tsconfig)
	}
	return env
}

// resolveModule asks node where `module` resolves from dir, as the real host does.
func resolveModule(nodeBin, module, dir string) (string, error) {
	script := fmt.Sprintf(`try { console.log(require.resolve(%q)); } catch (e) { `+
		`console.error(e.code === "MODULE_NOT_FOUND" ? "It looks like the Pulumi SDK has not been installed. Have you run npm ci?" : e.message); `+
		`process.exit(1); }`, module)
	cmd := exec.Command(nodeBin, "-e", script)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", errors.New(strings.TrimSpace(string(ee.Stderr)))
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

func programDir(info *pulumirpc.ProgramInfo, pwd string) string {
	if info != nil && info.GetProgramDirectory() != "" {
		return info.GetProgramDirectory()
	}
	return pwd
}

func (h *languageHost) track(cmd *exec.Cmd, on bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if on {
		h.children[cmd] = struct{}{}
	} else {
		delete(h.children, cmd)
	}
}

func (h *languageHost) Handshake(
	ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	h.engineAddress = req.GetEngineAddress()
	h.mu.Unlock()
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *languageHost) GetPluginInfo(ctx context.Context, _ *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

func (h *languageHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	dir := programDir(info, req.GetPwd())
	entry := req.GetProgram()
	if info != nil && info.GetEntryPoint() != "" {
		entry = info.GetEntryPoint()
	}
	if entry == "" {
		entry = "."
	}
	opts, err := parseOptions(info)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not find node on the $PATH: %v", err)}, nil
	}
	runPath := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH")
	if runPath == "" {
		runPath = "@pulumi/pulumi/cmd/run"
	}
	if runPath, err = resolveModule(nodeBin, runPath, dir); err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	h.mu.Lock()
	engine := h.engineAddress
	h.mu.Unlock()
	args := append([]string{}, opts.nodeargs...)
	args = append(args, runPath)
	flag := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	flag("monitor", req.GetMonitorAddress())
	flag("engine", engine)
	flag("organization", req.GetOrganization())
	flag("project", req.GetProject())
	if info != nil {
		flag("root-directory", info.GetRootDirectory())
	}
	flag("stack", req.GetStack())
	flag("pwd", dir)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	flag("parallel", strconv.Itoa(int(req.GetParallel())))
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	// Old-style keys ("<namespace>:config:<name>"), which @pulumi/pulumi still reads.
	cfg := map[string]string{}
	for k, v := range req.GetConfig() {
		key, err := config.ParseKey(k)
		if err != nil {
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("config key %q: %v", k, err)}, nil
		}
		cfg[key.Namespace()+":config:"+key.Name()] = v
	}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(), "PULUMI_CONFIG="+string(cfgJSON), "PULUMI_CONFIG_SECRET_KEYS="+string(secretJSON))
	env = append(env, opts.env()...)

	cmd := exec.CommandContext(ctx, nodeBin, args...)
	cmd.Env = env
	// node may make its stdout non-blocking: never hand it our own file.
	cmd.Stdout = struct{ io.Writer }{os.Stdout}
	cmd.Stderr = struct{ io.Writer }{os.Stderr}
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("Problem executing program (could not run language executor): %v", err),
		}, nil
	}
	h.track(cmd, true)
	err = cmd.Wait()
	h.track(cmd, false)
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			switch code := ee.ExitCode(); code {
			case exitAlreadyReported:
				return &pulumirpc.RunResponse{Bail: true}, nil
			case 0:
				return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited unexpectedly: %v", err)}, nil
			default:
				return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", code)}, nil
			}
		}
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("Problem executing program (could not run language executor): %v", err),
		}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

func (h *languageHost) RunPlugin(
	req *pulumirpc.RunPluginRequest, server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse],
) error {
	ctx := server.Context()
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()

	info := req.GetInfo()
	dir := programDir(info, req.GetPwd())
	opts, err := parseOptions(info)
	if err != nil {
		return err
	}
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return err
	}
	analyzer := req.GetKind() == string(apitype.AnalyzerPlugin)
	module := "@pulumi/pulumi/cmd/run-plugin"
	if analyzer {
		module = "@pulumi/pulumi/cmd/run-policy-pack"
	} else if p := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH"); p != "" {
		module = p
	}
	runPath, err := resolveModule(nodeBin, module, dir)
	if err != nil {
		return err
	}
	args := append([]string{}, opts.nodeargs...)
	args = append(args, runPath)
	if analyzer {
		// A policy pack takes the engine's address first and its folder last.
		args = append(args, req.GetArgs()...)
		args = append(args, dir)
	} else {
		args = append(args, dir)
		args = append(args, req.GetArgs()...)
	}
	env := append(append([]string{}, req.GetEnv()...), opts.env()...)

	var proxy *sdk.PolicyProxy
	if analyzer {
		// The pack learns the stack (name, configuration, dry run) from the environment: get it
		// from the engine's ConfigureStack call before starting node.
		proxy, stdout, err = sdk.NewPolicyProxy(ctx, stdout)
		if err != nil {
			return fmt.Errorf("could not start policy pack proxy: %w", err)
		}
		stack, err := proxy.AwaitConfiguration(ctx)
		if err != nil {
			return fmt.Errorf("could not get stack configuration: %w", err)
		}
		if stack != nil {
			add := func(k, v string) {
				if v != "" {
					env = append(env, k+"="+v)
				}
			}
			add("PULUMI_NODEJS_ORGANIZATION", stack.GetOrganization())
			add("PULUMI_NODEJS_PROJECT", stack.GetProject())
			add("PULUMI_NODEJS_STACK", stack.GetStack())
			add("PULUMI_NODEJS_DRY_RUN", strconv.FormatBool(stack.GetDryRun()))
			if stack.GetConfig() != nil {
				b, err := json.Marshal(stack.GetConfig())
				if err != nil {
					return err
				}
				add("PULUMI_CONFIG", string(b))
			}
		}
	}

	cmd := exec.CommandContext(ctx, nodeBin, args...)
	if analyzer {
		cmd.Dir = dir
	} else {
		cmd.Dir = req.GetPwd()
	}
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("Problem executing plugin program (could not run language executor): %w", err)
	}
	h.track(cmd, true)
	defer h.track(cmd, false)
	if proxy != nil {
		err = proxy.Attach(ctx, cmd)
	} else {
		err = cmd.Wait()
	}
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("Program exited with non-zero exit code: %d", ee.ExitCode())
		}
		return err
	}
	return closer.Close()
}

type packageJSON struct {
	Name            string            `json:"name"`
	Version         string            `json:"version"`
	Dependencies    map[string]string `json:"dependencies"`
	DevDependencies map[string]string `json:"devDependencies"`
	Pulumi          struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

func isPolicyPack(dir string) bool {
	for _, n := range []string{"PulumiPolicy.yaml", "PulumiPolicy.yml", "PulumiPolicy.json"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			return true
		}
	}
	return false
}

// findPackages walks dir as the real host does: every package.json inside a node_modules tree.
func findPackages(dir string, inNodeModules bool, seen map[string]bool) []*pulumirpc.PackageDependency {
	abs, err := filepath.Abs(dir)
	if err != nil || seen[abs] {
		return nil
	}
	seen[abs] = true
	entries, err := os.ReadDir(abs)
	if err != nil {
		return nil
	}
	var out []*pulumirpc.PackageDependency
	for _, e := range entries {
		path := filepath.Join(abs, e.Name())
		isDir := e.IsDir()
		if e.Type()&os.ModeSymlink != 0 {
			resolved, err := filepath.EvalSymlinks(path)
			if err != nil {
				continue
			}
			fi, err := os.Stat(resolved)
			if err != nil {
				continue
			}
			path, isDir = resolved, fi.IsDir()
		}
		switch {
		case isDir:
			if isPolicyPack(path) {
				continue
			}
			out = append(out, findPackages(path, inNodeModules || filepath.Base(abs) == "node_modules", seen)...)
		case inNodeModules && e.Name() == "package.json":
			b, err := os.ReadFile(path)
			if err != nil {
				continue
			}
			var pj packageJSON
			if json.Unmarshal(b, &pj) != nil || !pj.Pulumi.Resource {
				continue
			}
			name := pj.Pulumi.Name
			if name == "" {
				if !strings.HasPrefix(pj.Name, "@pulumi/") {
					continue
				}
				name = strings.TrimPrefix(pj.Name, "@pulumi/")
			}
			v := pj.Pulumi.Version
			if v == "" {
				v = pj.Version
			}
			if v != "" && !strings.HasPrefix(v, "v") {
				v = "v" + v
			}
			out = append(out, &pulumirpc.PackageDependency{
				Kind: "resource", Name: name, Version: v, Server: pj.Pulumi.Server,
			})
		}
	}
	return out
}

func (h *languageHost) GetRequiredPackages(
	ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	dir := programDir(req.GetInfo(), "")
	return &pulumirpc.GetRequiredPackagesResponse{Packages: findPackages(dir, false, map[string]bool{})}, nil
}

func (h *languageHost) GetRequiredPlugins(
	ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	dir := programDir(req.GetInfo(), req.GetPwd())
	var plugins []*pulumirpc.PluginDependency
	for _, p := range findPackages(dir, false, map[string]bool{}) {
		plugins = append(plugins, &pulumirpc.PluginDependency{
			Name: p.GetName(), Kind: p.GetKind(), Version: p.GetVersion(), Server: p.GetServer(),
		})
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

func (h *languageHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	// Installs nothing (the tests run `npm ci` themselves); say so on the stream.
	return server.Send(&pulumirpc.InstallDependenciesResponse{
		Stdout: []byte("pulumi-language-nodejs (stand-in): dependencies are not installed by the language host; run npm ci\n"),
	})
}

func (h *languageHost) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(nodeBin, "--version").Output()
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{
		Executable: nodeBin,
		Version:    strings.TrimSpace(strings.TrimPrefix(string(out), "v")),
		Metadata:   map[string]string{"languageHost": "stand-in"},
	}, nil
}

func (h *languageHost) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	dir := programDir(req.GetInfo(), req.GetPwd())
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, err
	}
	var pj packageJSON
	if err := json.Unmarshal(b, &pj); err != nil {
		return nil, err
	}
	var deps []*pulumirpc.DependencyInfo
	for _, m := range []map[string]string{pj.Dependencies, pj.DevDependencies} {
		for name := range m {
			version := m[name]
			if ib, err := os.ReadFile(filepath.Join(dir, "node_modules", name, "package.json")); err == nil {
				var installed packageJSON
				if json.Unmarshal(ib, &installed) == nil && installed.Version != "" {
					version = installed.Version
				}
			}
			deps = append(deps, &pulumirpc.DependencyInfo{Name: name, Version: version})
		}
	}
	sort.Slice(deps, func(i, j int) bool { return deps[i].Name < deps[j].Name })
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

func (h *languageHost) Cancel(ctx context.Context, _ *emptypb.Empty) (*emptypb.Empty, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for cmd := range h.children {
		if cmd.Process != nil {
			_ = cmd.Process.Signal(os.Interrupt)
		}
	}
	return &emptypb.Empty{}, nil
}
