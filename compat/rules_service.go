package compat

import (
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// This file holds the rules on method pairs: RPCs with the same name in the
// same service.

func streaming(on bool) string {
	if on {
		return "streaming"
	}
	return "unary"
}

func checkRPCSameClientStreaming(p *pass, prev, curr protoreflect.MethodDescriptor) {
	if prev.IsStreamingClient() == curr.IsStreamingClient() {
		return
	}
	p.report(atDesc(curr), atDesc(prev), Both, curr.FullName(),
		"RPC %q on service %q changed its request from %s to %s.", curr.Name(), curr.Parent().Name(),
		streaming(prev.IsStreamingClient()), streaming(curr.IsStreamingClient()))
}

func checkRPCSameServerStreaming(p *pass, prev, curr protoreflect.MethodDescriptor) {
	if prev.IsStreamingServer() == curr.IsStreamingServer() {
		return
	}
	p.report(atDesc(curr), atDesc(prev), Both, curr.FullName(),
		"RPC %q on service %q changed its response from %s to %s.", curr.Name(), curr.Parent().Name(),
		streaming(prev.IsStreamingServer()), streaming(curr.IsStreamingServer()))
}

func idempotencyLevel(md protoreflect.MethodDescriptor) descriptorpb.MethodOptions_IdempotencyLevel {
	opts, _ := md.Options().(*descriptorpb.MethodOptions)
	return opts.GetIdempotencyLevel()
}

func checkRPCSameIdempotencyLevel(p *pass, prev, curr protoreflect.MethodDescriptor) {
	before, after := idempotencyLevel(prev), idempotencyLevel(curr)
	if before == after {
		return
	}
	p.report(atDesc(curr, methodOptionsTag, 34), atDesc(prev, methodOptionsTag, 34), Both, curr.FullName(),
		"RPC %q on service %q changed option idempotency_level from %s to %s.", curr.Name(), curr.Parent().Name(), before, after)
}

func checkRPCSameRequestType(p *pass, prev, curr protoreflect.MethodDescriptor) {
	if prev.Input().FullName() == curr.Input().FullName() {
		return
	}
	p.report(atDesc(curr, methodInputTag), atDesc(prev, methodInputTag), Both, curr.FullName(),
		"RPC %q on service %q changed its request type from %q to %q.", curr.Name(), curr.Parent().Name(),
		prev.Input().FullName(), curr.Input().FullName())
}

func checkRPCSameResponseType(p *pass, prev, curr protoreflect.MethodDescriptor) {
	if prev.Output().FullName() == curr.Output().FullName() {
		return
	}
	p.report(atDesc(curr, methodOutputTag), atDesc(prev, methodOutputTag), Both, curr.FullName(),
		"RPC %q on service %q changed its response type from %q to %q.", curr.Name(), curr.Parent().Name(),
		prev.Output().FullName(), curr.Output().FullName())
}
