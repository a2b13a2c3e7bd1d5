package dynamo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/jobs"
)

// Job records live in the account partition: T#<tenant> / JOB#<id>.
const skJob = "JOB#"

// maxJobErrors bounds the failure reasons a job record keeps (an item holds
// at most 400 KB); counts stay exact.
const maxJobErrors = 200

// CreateJob stores a new job record (status queued).
func (st *Store) CreateJob(ctx context.Context, tenantID string, j jobs.Record) error {
	it, err := item(j, tenantPK(tenantID), skJob+j.ID)
	if err != nil {
		return fmt.Errorf("create job: %w", err)
	}
	_, err = st.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: st.table, Item: it, ConditionExpression: aws.String("attribute_not_exists(PK)")})
	if err != nil {
		return fmt.Errorf("create job %s: %w", j.ID, err)
	}
	return nil
}

// Job reads a job record; account.ErrNotFound when missing.
func (st *Store) Job(ctx context.Context, tenantID, jobID string) (jobs.Record, error) {
	var j jobs.Record
	if badID(jobID) {
		return j, fmt.Errorf("job %s: %w", jobID, account.ErrNotFound)
	}
	if err := st.get(ctx, tenantPK(tenantID), skJob+jobID, &j); err != nil {
		return j, fmt.Errorf("job %s: %w", jobID, err)
	}
	if j.Errors == nil {
		j.Errors = []jobs.ItemError{}
	}
	return j, nil
}

// AdvanceJob records the outcome of chunk p.Chunk of a job, once: the
// update is conditional on the job being at that chunk, so a redelivered
// chunk is not counted twice (jobs.ErrChunkDone).
func (st *Store) AdvanceJob(ctx context.Context, tenantID, jobID string, p jobs.Progress) error {
	errs := p.Errors
	if len(errs) > maxJobErrors {
		errs = errs[:maxJobErrors]
	}
	errList, err := attributevalue.MarshalWithOptions(errs, func(o *attributevalue.EncoderOptions) { o.TagKey = "json"; o.NullEmptySets = true })
	if err != nil {
		return fmt.Errorf("advance job %s: %w", jobID, err)
	}
	if len(errs) == 0 {
		errList = &types.AttributeValueMemberL{Value: []types.AttributeValue{}}
	}
	status := jobs.StatusRunning
	if p.Finished {
		status = jobs.StatusDone
	}
	if p.Abort {
		status = jobs.StatusFailed
	}
	upd := "SET #chunk = :next, #status = :status, updated_at = :now, #errors = list_append(if_not_exists(#errors, :empty), :errs)" +
		" ADD done_count :done, failed_count :failed, #total :total"
	values := map[string]types.AttributeValue{
		":chunk": n(int64(p.Chunk)), ":next": n(int64(p.Chunk + 1)), ":status": s(string(status)),
		":now": s(st.now().UTC().Format(time.RFC3339)), ":errs": errList,
		":empty": &types.AttributeValueMemberL{Value: []types.AttributeValue{}},
		":done":  n(int64(p.Done)), ":failed": n(int64(p.Failed)), ":total": n(int64(p.Done + p.Failed)),
	}
	names := map[string]string{"#chunk": "chunk", "#status": "status", "#errors": "errors", "#total": "total"}
	for i, k := range slices.Sorted(maps.Keys(p.Counts)) {
		names["#counts"] = "counts"
		names[fmt.Sprintf("#c%d", i)] = k
		upd += fmt.Sprintf(", #counts.#c%d :c%d", i, i)
		values[fmt.Sprintf(":c%d", i)] = n(int64(p.Counts[k]))
	}
	if p.Result != "" {
		upd = "SET #result = :result, " + upd[len("SET "):]
		names["#result"] = "result" // a reserved word
		values[":result"] = s(p.Result)
	}
	if p.ResultKey != "" {
		upd = "SET result_key = :result_key, " + upd[len("SET "):]
		values[":result_key"] = s(p.ResultKey)
	}
	if p.State != "" {
		upd = "SET runner_state = :state, " + upd[len("SET "):]
		values[":state"] = s(p.State)
	}
	_, err = st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: st.table, Key: key(tenantPK(tenantID), skJob+jobID),
		UpdateExpression:          aws.String(upd),
		ConditionExpression:       aws.String("attribute_exists(PK) AND #chunk = :chunk"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	var cf *types.ConditionalCheckFailedException
	if errors.As(err, &cf) {
		return fmt.Errorf("advance job %s chunk %d: %w", jobID, p.Chunk, jobs.ErrChunkDone)
	}
	if err != nil {
		return fmt.Errorf("advance job %s: %w", jobID, err)
	}
	return nil
}

// NextJobSeq returns the next number of a job's own sequence (1, 2, ...),
// each number once: an atomic counter on the job record. An export claims
// its S3 part numbers from it, so two deliveries of one message never
// upload to the same part.
func (st *Store) NextJobSeq(ctx context.Context, tenantID, jobID string) (int, error) {
	out, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: st.table, Key: key(tenantPK(tenantID), skJob+jobID),
		UpdateExpression:          aws.String("ADD job_seq :one"),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": n(1)},
		ReturnValues:              types.ReturnValueUpdatedNew,
	})
	var cf *types.ConditionalCheckFailedException
	if errors.As(err, &cf) {
		return 0, fmt.Errorf("job %s: %w", jobID, account.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("job %s seq: %w", jobID, err)
	}
	var seq struct {
		Seq int `dynamodbav:"job_seq"`
	}
	if err := attributevalue.UnmarshalMap(out.Attributes, &seq); err != nil {
		return 0, fmt.Errorf("job %s seq: %w", jobID, err)
	}
	return seq.Seq, nil
}
