// Command miniasync runs the miniasync HTTP/1.1 server (serve) and compares
// its poller backends (bench).
//
//	miniasync serve [--addr 0.0.0.0:7878] [--workers 3] [--backend NAME] [--handler hello|counter|echo|http-hello]
//
// Run "miniasync help serve" for every flag.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := newRootCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "miniasync:", err)
		os.Exit(1)
	}
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "miniasync",
		Short:         "A small, fast HTTP/1.1 server with pluggable I/O pollers",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCommand())
	root.AddCommand(newBenchCommand(), newBaselineCommand())
	return root
}
