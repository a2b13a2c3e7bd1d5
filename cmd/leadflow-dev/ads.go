package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/leadflow/leadflow/internal/ads"
	"github.com/leadflow/leadflow/internal/queue"
)

// startGraphStandIn serves GET /v21.0/{leadgen_id} like Meta's Graph API
// (the lead object of the "Retrieving Leads" guide) so a Meta webhook
// posted to the local server becomes a lead without a Meta app. Set
// LEADFLOW_GRAPH_URL to talk to the real Graph API instead.
func startGraphStandIn(ctx context.Context) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := strings.TrimPrefix(r.URL.Path, "/v21.0/")
		w.Header().Set("Content-Type", "application/json")
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") || id == "" || strings.Contains(id, "/") {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190}}`)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{
			"id": id, "created_time": time.Now().UTC().Add(-time.Minute).Format("2006-01-02T15:04:05-0700"),
			"ad_id": "120210000000000002", "ad_name": "Carrossel Verão", "adset_id": "120210000000000001", "adset_name": "SP 25-45",
			"campaign_id": "120210000000000000", "campaign_name": "Meta Leads Verão 2026", "form_id": "1234512345",
			"is_organic": false, "platform": "fb",
			"field_data": []map[string]any{
				{"name": "full_name", "values": []string{"Lead Meta " + id}},
				{"name": "email", "values": []string{"meta-" + id + "@example.com"}},
				{"name": "car_make", "values": []string{"Honda"}},
			},
		})
	})}
	go srv.Serve(ln)
	go func() { <-ctx.Done(); srv.Close() }()
	return "http://" + ln.Addr().String() + "/v21.0", nil
}

// runMetaJobs receives fetch_meta_lead jobs from the local queue and runs
// them, deleting each only once it succeeded (a failure comes back after
// the visibility timeout and ends in the DLQ after 5 tries, as in AWS).
// Other job types are left for their own worker. The local worker of the
// jobs queue replaces this loop once it exists.
func runMetaJobs(ctx context.Context, client *sqs.Client, url string, f *ads.MetaFetcher, log *slog.Logger) {
	for ctx.Err() == nil {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), WaitTimeSeconds: 5, MaxNumberOfMessages: 10,
		})
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("jobs: receive", "err", err)
				time.Sleep(time.Second)
			}
			continue
		}
		for _, m := range out.Messages {
			job, err := queue.Decode(aws.ToString(m.Body))
			if err != nil || job.Type != ads.JobFetchMetaLead {
				// Not ours: make it visible again for its own worker.
				client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0})
				continue
			}
			if err := f.Handle(ctx, job); err != nil {
				log.Error("jobs: fetch_meta_lead failed; SQS will retry", "job_id", job.ID, "err", err)
				continue
			}
			client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle})
		}
	}
}
