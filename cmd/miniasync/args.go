package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// noArgs accepts no positional arguments, like cobra.NoArgs, but explains
// the usual cause of one: a flag that may stand alone (--cpu-pin, a bool
// flag) takes its value only after "=", so in "--cpu-pin 0:1" the 0:1 is
// left over as an argument.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	var bare []string
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if f.NoOptDefVal == "" || f.Value.String() != f.NoOptDefVal {
			return
		}
		if f.Value.Type() == "bool" {
			if _, err := strconv.ParseBool(args[0]); err != nil {
				return // not a value this flag could have meant
			}
		}
		bare = append(bare, "--"+f.Name+"="+args[0])
	})
	if len(bare) == 0 {
		// cobra.NoArgs would call it an unknown command.
		return fmt.Errorf("unexpected argument %q: %q takes flags only (see --help)", args[0], cmd.CommandPath())
	}
	return fmt.Errorf("unexpected argument %q: a value for a flag that may stand alone follows \"=\": write %s",
		args[0], strings.Join(bare, " or "))
}
