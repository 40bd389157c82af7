package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmflow/llmflow/cmd/llmflow/runview"
	"github.com/llmflow/llmflow/pipeline"
)

var uiFlags struct{ addr, store, db string }

var uiCmd = &cobra.Command{
	Use:   "ui [--addr 127.0.0.1:8080]",
	Short: "Serve a read-only web UI over the recorded runs: curves, artifacts, comparisons",
	Long: `Serves the run database and artifact store as web pages: the runs list, a run
page with the same content as llmflow report (its curves update while the run
is going), artifact pages with schema and sample rows, and a comparison of two
runs. Nothing in the UI writes. It listens on loopback by default; another
address exposes every recorded run to whoever can reach it. Port 0 picks a free
port; the address is printed on the first line.`,
	Args: exactArgs(0),
	RunE: func(cmd *cobra.Command, _ []string) error {
		ln, err := net.Listen("tcp", uiFlags.addr)
		if err != nil {
			return fmt.Errorf("ui: %w", err)
		}
		if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
			fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s is not a loopback address; anyone who reaches it can read every recorded run\n", ip)
		}
		srv := &http.Server{
			Handler:           (&runview.Server{DB: uiFlags.db, Store: uiFlags.store, Version: pipeline.Version}).Handler(),
			ReadHeaderTimeout: 10 * time.Second,
		}
		fmt.Fprintf(cmd.OutOrStdout(), "llmflow ui: http://%s/ (read-only; Ctrl-C stops it)\n", ln.Addr())
		ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
		defer stop()
		go func() {
			<-ctx.Done()
			shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			srv.Shutdown(shutdown)
		}()
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	},
}

func init() {
	uiCmd.Flags().StringVar(&uiFlags.addr, "addr", "127.0.0.1:8080", "address to listen on")
	uiCmd.Flags().StringVar(&uiFlags.store, "store", defaultStore, "artifact store directory")
	uiCmd.Flags().StringVar(&uiFlags.db, "db", defaultDB, "run database file")
	rootCmd.AddCommand(uiCmd)
}
