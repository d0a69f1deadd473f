package auth

import (
	"context"
	"net/http"

	"connectrpc.com/connect"
)

// Interceptor authenticates every Connect RPC and attaches its Principal to
// the context; requests it cannot authenticate fail with
// connect.CodeUnauthenticated. Handlers authorize with FromContext.
func Interceptor(a *Authenticator) connect.UnaryInterceptorFunc {
	return func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			p, err := a.Authenticate(req.Header().Get("Authorization"))
			if err != nil {
				return nil, connect.NewError(connect.CodeUnauthenticated, err)
			}
			return next(WithPrincipal(ctx, p), req)
		}
	}
}

// Middleware authenticates plain HTTP requests and attaches their
// Principal to the request's context; requests it cannot authenticate get
// 401 with the reason.
func Middleware(a *Authenticator, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := a.Authenticate(r.Header.Get("Authorization"))
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="pbregistry"`)
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}
