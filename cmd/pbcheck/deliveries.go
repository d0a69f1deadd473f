package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"connectrpc.com/connect"

	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/registry"
)

// deliveriesClient is what `registry deliveries|redrive` call.
type deliveriesClient interface {
	ListWebhookDeliveries(context.Context, *connect.Request[v1.ListWebhookDeliveriesRequest]) (*connect.Response[v1.ListWebhookDeliveriesResponse], error)
	RedriveWebhook(context.Context, *connect.Request[v1.RedriveWebhookRequest]) (*connect.Response[v1.RedriveWebhookResponse], error)
}

// runDeliveries runs `registry deliveries [--dead] [<endpoint>]` (admin):
// the webhook endpoints with their dead-letter counts, or with --dead the
// dead letters themselves.
func runDeliveries(ctx context.Context, e *env, f *clientFlags, c deliveriesClient, args []string, dead bool) (int, error) {
	if len(args) > 1 {
		return exitError, usagef("deliveries takes at most one <endpoint>, got %s", strings.Join(args, " "))
	}
	req := &v1.ListWebhookDeliveriesRequest{}
	if len(args) == 1 {
		req.Endpoint = args[0]
	}
	resp, err := c.ListWebhookDeliveries(ctx, connect.NewRequest(req))
	if err != nil {
		return exitError, rpcError(f.registry, "list the webhook deliveries", err)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	if !dead {
		if len(resp.Msg.GetEndpoints()) == 0 {
			fmt.Fprintln(e.stdout, "No webhook endpoints: registryd's configuration has no webhooks: section.")
			return exitOK, nil
		}
		fmt.Fprintln(tw, "ENDPOINT\tURL\tMODULES\tEVENTS\tDEAD LETTERS")
		for _, p := range resp.Msg.GetEndpoints() {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", p.GetName(), p.GetUrl(), orAll(p.GetModules()), orAll(p.GetEvents()), p.GetDeadLetters())
		}
		return exitOK, tw.Flush()
	}
	if len(resp.Msg.GetDeadLetters()) == 0 {
		fmt.Fprintln(e.stdout, "No dead letters.")
		return exitOK, nil
	}
	fmt.Fprintln(tw, "ID\tWEBHOOK-ID\tTYPE\tMODULE\tVERSION\tATTEMPTS\tLAST ATTEMPT\tLAST ERROR")
	for _, l := range resp.Msg.GetDeadLetters() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", l.GetId(), l.GetWebhookId(), l.GetType(), l.GetModule(), l.GetVersion(), l.GetAttempts(),
			timeString(l.GetLastAttempt()), registry.Truncate(strings.ReplaceAll(l.GetLastError(), "\n", " "), 200))
	}
	if err := tw.Flush(); err != nil {
		return exitError, err
	}
	fmt.Fprintln(e.stdout, "\nSend one again with: pbcheck registry redrive <ID>")
	return exitOK, nil
}

// runRedrive runs `registry redrive <id>...` (admin): each dead letter is
// sent again by registryd and removed once its endpoint accepted it.
func runRedrive(ctx context.Context, e *env, f *clientFlags, c deliveriesClient, ids []string) (int, error) {
	if len(ids) == 0 {
		return exitError, usagef("redrive takes the ids of dead letters, as `pbcheck registry deliveries --dead` lists them")
	}
	for _, id := range ids {
		resp, err := c.RedriveWebhook(ctx, connect.NewRequest(&v1.RedriveWebhookRequest{Id: id}))
		if err != nil {
			return exitError, rpcError(f.registry, "re-drive "+id, err)
		}
		l := resp.Msg.GetDeadLetter()
		fmt.Fprintf(e.stdout, "re-driven %s (%s %s v%d) to %s\n", id, l.GetWebhookId(), l.GetModule(), l.GetVersion(), l.GetEndpoint())
	}
	return exitOK, nil
}

// orAll joins globs, or says "all".
func orAll(list []string) string {
	if len(list) == 0 {
		return "all"
	}
	return strings.Join(list, ",")
}
