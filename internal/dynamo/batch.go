package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// maxBatchWrite is BatchWriteItem's limit of requests per call.
const maxBatchWrite = 25

// batchWrite sends write requests (puts or deletes) to the table 25 at a
// time, resubmitting unprocessed ones with backoff up to maxAttempts
// (ErrContention after that). It is the store's one BatchWriteItem loop;
// op names the caller in errors. Not atomic: only for writes that are safe
// to repeat (deterministic keys, deletes).
func (st *Store) batchWrite(ctx context.Context, op string, reqs []types.WriteRequest) error {
	for len(reqs) > 0 {
		chunk := reqs[:min(maxBatchWrite, len(reqs))]
		reqs = reqs[len(chunk):]
		pending := map[string][]types.WriteRequest{*st.table: chunk}
		for attempt := 1; len(pending) > 0; attempt++ {
			out, err := st.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return fmt.Errorf("%s: %w", op, err)
			}
			pending = out.UnprocessedItems
			if len(pending) > 0 {
				if attempt >= maxAttempts {
					return fmt.Errorf("%s: %w", op, ErrContention)
				}
				if err := backoff(ctx, attempt); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
