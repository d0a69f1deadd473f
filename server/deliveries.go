package server

import (
	"context"
	"errors"
	"fmt"
	"os"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pbregistry/pbregistry/auth"
	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/webhook"
)

// ListWebhookDeliveries implements RegistryServiceHandler (admin only):
// the configured endpoints and the dead letters under
// Config.Webhooks.Dir, this registryd's.
func (s *Server) ListWebhookDeliveries(ctx context.Context, req *connect.Request[v1.ListWebhookDeliveriesRequest]) (*connect.Response[v1.ListWebhookDeliveriesResponse], error) {
	if err := auth.FromContext(ctx).CanAdmin("listing webhook deliveries"); err != nil {
		return nil, connectError(err)
	}
	wc := &s.cfg.Webhooks
	endpoint := req.Msg.GetEndpoint()
	if endpoint != "" {
		if _, ok := wc.Endpoint(endpoint); !ok {
			return nil, connect.NewError(connect.CodeNotFound, fmt.Errorf("no webhook endpoint %q in registryd's webhooks: section", endpoint))
		}
	}
	resp := &v1.ListWebhookDeliveriesResponse{}
	var letters []webhook.DeadLetter
	if wc.Dir != "" {
		var err error
		if letters, err = (webhook.DeadLetters{Dir: wc.Dir}).List(endpoint); err != nil {
			return nil, connect.NewError(connect.CodeInternal, err)
		}
	}
	count := map[string]int64{}
	for _, l := range letters {
		count[l.Endpoint]++
		resp.DeadLetters = append(resp.DeadLetters, deadLetterToProto(l))
	}
	for _, e := range wc.Endpoints {
		if endpoint == "" || e.Name == endpoint {
			resp.Endpoints = append(resp.Endpoints, &v1.WebhookEndpoint{Name: e.Name, Url: e.URL, Modules: e.Modules, Events: e.Events, DeadLetters: count[e.Name]})
		}
	}
	return connect.NewResponse(resp), nil
}

// RedriveWebhook implements RegistryServiceHandler (admin only): the dead
// letter is sent to its endpoint as configured now, with the secret this
// registryd reads, and removed once accepted.
func (s *Server) RedriveWebhook(ctx context.Context, req *connect.Request[v1.RedriveWebhookRequest]) (*connect.Response[v1.RedriveWebhookResponse], error) {
	if s.readOnly {
		return nil, readOnlyError("re-drive a webhook")
	}
	if err := auth.FromContext(ctx).CanAdmin("re-driving a webhook"); err != nil {
		return nil, connectError(err)
	}
	id := req.Msg.GetId()
	if _, _, err := webhook.ParseID(id); err != nil {
		return nil, connect.NewError(connect.CodeInvalidArgument, err)
	}
	wc := s.cfg.Webhooks
	if wc.Dir == "" {
		return nil, connect.NewError(connect.CodeNotFound, fmt.Errorf("no dead letter %s: this registryd delivers no webhooks", id))
	}
	l, err := webhook.Redrive(ctx, &wc, os.Getenv, nil, id)
	if err != nil {
		var missing *webhook.NoDeadLetterError
		if errors.As(err, &missing) {
			return nil, connect.NewError(connect.CodeNotFound, err)
		}
		// The endpoint refused or is gone: the dead letter is kept.
		return nil, connect.NewError(connect.CodeFailedPrecondition, err)
	}
	s.logger.Info("webhook re-driven", "id", id, "endpoint", l.Endpoint, "webhook_id", l.WebhookID, "by", auth.FromContext(ctx).Name)
	return connect.NewResponse(&v1.RedriveWebhookResponse{DeadLetter: deadLetterToProto(l)}), nil
}

// deadLetterToProto converts a dead letter.
func deadLetterToProto(l webhook.DeadLetter) *v1.WebhookDeadLetter {
	return &v1.WebhookDeadLetter{
		Id: l.ID(), Endpoint: l.Endpoint, WebhookId: l.WebhookID, Type: l.Type, Module: l.Module, Version: l.Version,
		Attempts: int64(l.Attempts), EventTime: timestamppb.New(l.EventTime), LastAttempt: timestamppb.New(l.LastAttempt), LastError: l.LastError,
	}
}
