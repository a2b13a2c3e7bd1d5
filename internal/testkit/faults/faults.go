// Package faults is test-only: no production package may import it (it
// lives under internal/testkit for that reason). It injects AWS failures
// into SDK clients for reliability tests:
// a share of calls fails with throttling or 5xx errors, either before the
// request is sent or after the service processed it (the response is lost).
//
// The middleware sits in the Finalize step right after the SDK's "Retry"
// middleware, so it runs once per attempt and the standard retryer sees each
// injected error exactly as it would see a real one:
//
//	inj := faults.New(faults.Config{Rate: 0.3})
//	client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
//		o.APIOptions = append(o.APIOptions, inj.AddTo)
//	})
package faults

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Fault is one kind of injected failure.
type Fault struct {
	Status int    // HTTP status of the fake response
	Code   string // AWS error code
}

// Throttles and ServerErrors are what DynamoDB and SQS answer under load;
// the SDK's standard retryer treats every one of them as retryable.
var (
	Throttles = []Fault{
		{http.StatusBadRequest, "ThrottlingException"},
		{http.StatusBadRequest, "ProvisionedThroughputExceededException"},
		{http.StatusBadRequest, "RequestLimitExceeded"},
	}
	ServerErrors = []Fault{
		{http.StatusInternalServerError, "InternalServerError"},
		{http.StatusServiceUnavailable, "ServiceUnavailable"},
	}
)

// Config says how often and how calls fail.
type Config struct {
	// Rate is the share of attempts that fail, 0 to 1.
	Rate float64
	// AfterShare is the share of failures injected after the service
	// processed the request (its response is dropped), 0 to 1. The rest
	// fail before the request is sent.
	AfterShare float64
	// Faults to pick from at random; Throttles and ServerErrors when empty.
	Faults []Fault
	// Operations limits injection to these operation names (such as
	// "TransactWriteItems"); every operation when empty.
	Operations []string
}

// Injector fails calls as configured and counts what it did. It is safe for
// concurrent use, and Rate may be changed while clients use it.
type Injector struct {
	faults []Fault
	ops    map[string]bool

	mu         sync.Mutex
	rate       float64
	afterShare float64

	calls, before, after atomic.Int64
}

// New returns an Injector.
func New(c Config) *Injector {
	in := &Injector{faults: c.Faults, rate: c.Rate, afterShare: c.AfterShare}
	if len(in.faults) == 0 {
		in.faults = append(append([]Fault{}, Throttles...), ServerErrors...)
	}
	if len(c.Operations) > 0 {
		in.ops = map[string]bool{}
		for _, op := range c.Operations {
			in.ops[op] = true
		}
	}
	return in
}

// SetRate changes the share of failing attempts (0 turns injection off).
func (in *Injector) SetRate(rate float64) {
	in.mu.Lock()
	in.rate = rate
	in.mu.Unlock()
}

// Counts reports attempts seen and failures injected before and after the
// request reached the service.
func (in *Injector) Counts() (calls, before, after int64) {
	return in.calls.Load(), in.before.Load(), in.after.Load()
}

// AddTo inserts the middleware into an operation's stack; use it as an
// element of a client's APIOptions.
func (in *Injector) AddTo(stack *middleware.Stack) error {
	return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("faults.Inject", in.handle), "Retry", middleware.After)
}

// decide returns the fault to inject (nil for none) and whether to inject
// it after the call.
func (in *Injector) decide(op string) (*Fault, bool) {
	if in.ops != nil && !in.ops[op] {
		return nil, false
	}
	in.mu.Lock()
	rate, afterShare := in.rate, in.afterShare
	in.mu.Unlock()
	if rand.Float64() >= rate {
		return nil, false
	}
	f := in.faults[rand.IntN(len(in.faults))]
	return &f, rand.Float64() < afterShare
}

func (in *Injector) handle(ctx context.Context, input middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	in.calls.Add(1)
	op := awsmiddleware.GetOperationName(ctx)
	f, after := in.decide(op)
	if f == nil {
		return next.HandleFinalize(ctx, input)
	}
	if !after {
		in.before.Add(1)
		return middleware.FinalizeOutput{}, middleware.Metadata{}, f.err(op, false)
	}
	out, md, err := next.HandleFinalize(ctx, input)
	if err != nil {
		return out, md, err // the real failure stands
	}
	in.after.Add(1)
	return middleware.FinalizeOutput{}, md, f.err(op, true)
}

// err builds the error the SDK's deserializers would have produced for this
// response: an API error with its code inside an HTTP response error.
func (f Fault) err(op string, after bool) error {
	when := "before sending"
	if after {
		when = "after the service processed the request; response lost"
	}
	return &awshttp.ResponseError{
		RequestID: "fault-injected",
		ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: f.Status, Header: http.Header{}}},
			Err: &smithy.GenericAPIError{
				Code:    f.Code,
				Message: fmt.Sprintf("injected %s on %s (%s)", f.Code, op, when),
				Fault:   smithy.FaultServer,
			},
		},
	}
}
