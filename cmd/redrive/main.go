// Command redrive moves messages from the jobs dead-letter queue back to the
// jobs queue (after the cause is fixed): receive, send, delete, one batch at
// a time, so a message is never lost (at worst sent twice, which the
// idempotent worker absorbs). In AWS `aws sqs start-message-move-task` does
// the same; this works against the local SQS emulator too, which lacks it.
//
//	go run ./cmd/redrive -from "$LEADFLOW_JOBS_DLQ_URL" -to "$LEADFLOW_JOBS_QUEUE_URL" [-dry-run]
//
// The SDK's usual variables pick the account and endpoint
// (AWS_ENDPOINT_URL_SQS for the emulator).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/leadflow/leadflow/internal/config"
)

func main() {
	from := flag.String("from", os.Getenv("LEADFLOW_JOBS_DLQ_URL"), "dead-letter queue URL")
	to := flag.String("to", os.Getenv("LEADFLOW_JOBS_QUEUE_URL"), "queue URL to move the messages to")
	dry := flag.Bool("dry-run", false, "print the messages, move nothing")
	max := flag.Int("max", 1000, "move at most this many messages")
	flag.Parse()
	if *from == "" || *to == "" {
		fmt.Fprintln(os.Stderr, "redrive: -from and -to (or LEADFLOW_JOBS_DLQ_URL and LEADFLOW_JOBS_QUEUE_URL) are required")
		os.Exit(2)
	}
	ctx := context.Background()
	cfg, err := config.AWS(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "redrive:", err)
		os.Exit(1)
	}
	client := sqs.NewFromConfig(cfg)
	moved := 0
	for moved < *max {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: from, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 30,
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "redrive: receive:", err)
			os.Exit(1)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, m := range out.Messages {
			fmt.Println(aws.ToString(m.Body))
			moved++
			if *dry {
				continue
			}
			if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: to, MessageBody: m.Body, MessageAttributes: m.MessageAttributes}); err != nil {
				fmt.Fprintln(os.Stderr, "redrive: send:", err)
				os.Exit(1)
			}
			if _, err := client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: from, ReceiptHandle: m.ReceiptHandle}); err != nil {
				fmt.Fprintln(os.Stderr, "redrive: delete:", err)
				os.Exit(1)
			}
		}
		if *dry {
			break // received messages stay invisible for 30 s; don't loop on them
		}
	}
	verb := "moved"
	if *dry {
		verb = "would move (dry run)"
	}
	fmt.Fprintf(os.Stderr, "redrive: %s %d message(s)\n", verb, moved)
}
