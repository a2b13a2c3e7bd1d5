package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/interaction"
	"github.com/leadflow/leadflow/internal/lead"
)

var brKinds = lead.NewKinds(account.Account{Country: "BR"})

func post(t testing.TB, e *env, tenant string, in interaction.Input) (interaction.Interaction, bool) {
	t.Helper()
	norm, err := interaction.Normalize(tenant, in, brKinds, time.Now())
	if err != nil {
		t.Fatalf("normalize: %v", err)
	}
	out, created, err := e.store.PostInteraction(context.Background(), tenant, norm)
	if err != nil {
		t.Fatalf("post interaction: %v", err)
	}
	return out, created
}

// rawPartition reads every item of one partition as stored.
func rawPartition(t testing.TB, e *env, pk string) []map[string]types.AttributeValue {
	t.Helper()
	out, err := e.client.Query(context.Background(), &dynamodb.QueryInput{
		TableName: aws.String(e.table), KeyConditionExpression: aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}},
		ConsistentRead:            aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Items
}

func TestInteractionUpsertAndRedelivery(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tenant := e.site.TenantID
	res := mustCapture(t, e, capture("ana@example.com"))

	in := interaction.Input{
		Channel: "facebook", ExternalID: "thread-1", Kind: "dm", Polarity: "positive", OpenedAt: "2026-11-30T10:00:00Z",
		Tags:        []string{"VIP"},
		Attachments: []interaction.InputAttachment{{Name: "p.jpg", URL: "https://cdn.example.com/p.jpg"}},
		Messages:    []interaction.InputMessage{{From: "visitor", Text: "Oi", At: "2026-11-30T10:00:00Z"}, {From: "agent", Text: "Olá", At: "2026-11-30T10:01:00Z"}},
		Events:      []interaction.InputEvent{{At: "2026-11-30T10:01:00Z", Type: "replied", Actor: "usr_1"}},
		Profile:     interaction.InputProfile{Name: "Ana", Email: "ANA@example.com", FacebookID: "100042"},
	}
	first, created := post(t, e, tenant, in)
	if !created || first.LeadID != res.LeadID || !interaction.ValidProtocol(first.Protocol) || first.MessageCount != 2 {
		t.Fatalf("first post: created=%v %+v", created, first)
	}
	snapshot := func() [][]map[string]types.AttributeValue {
		return [][]map[string]types.AttributeValue{
			rawPartition(t, e, "T#"+tenant+"#INT#"+first.ID),
			rawPartition(t, e, "T#"+tenant+"#LEAD#"+res.LeadID),
			rawPartition(t, e, "T#"+tenant+"#INTX#facebook#thread-1"),
			rawPartition(t, e, "T#"+tenant+"#PROTO#"+first.Protocol),
		}
	}
	before := snapshot()
	if len(before[0]) != 4 || len(before[2]) != 1 || len(before[3]) != 1 {
		t.Fatalf("items: %d in the interaction, %d upsert keys, %d protocol keys", len(before[0]), len(before[2]), len(before[3]))
	}

	// A redelivery changes nothing: every item byte for byte.
	again, created := post(t, e, tenant, in)
	if created || again.Version != first.Version || again.ID != first.ID {
		t.Fatalf("redelivery: created=%v %+v", created, again)
	}
	if after := snapshot(); !reflect.DeepEqual(before, after) {
		t.Fatal("a redelivery changed stored items")
	}

	// An update: answered, one more message, a new event; the counters follow.
	in.Status, in.AnsweredAt, in.Polarity = "answered", "2026-11-30T10:01:00Z", "negative"
	in.Messages = append(in.Messages, interaction.InputMessage{From: "visitor", Text: "Obrigada", At: "2026-11-30T10:02:00Z"})
	in.Events = append(in.Events, interaction.InputEvent{At: "2026-11-30T10:02:00Z", Type: "polarized", Detail: "negative"})
	up, created := post(t, e, tenant, in)
	if created || up.Version != 2 || up.MessageCount != 3 || up.Status != interaction.StatusAnswered {
		t.Fatalf("update: created=%v %+v", created, up)
	}
	full, err := e.store.Interaction(ctx, tenant, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(full.Messages) != 3 || len(full.Events) != 2 || full.Messages[2].Text != "Obrigada" || full.Tags[0] != "vip" || full.Attachments[0].URL == "" {
		t.Errorf("read back: %+v", full)
	}
	l := mustDetail(t, e, tenant, res.LeadID).Lead
	wantOcc := lead.Occurrences{Negative: 1, Neutral: 1} // the capture is neutral and finished
	if l.Occurrences != wantOcc || l.Tickets != (lead.Tickets{Answered: 1, Finished: 1}) || l.Interactions != 2 || l.Sentiment == nil || *l.Sentiment != 0 {
		t.Errorf("lead counters: occ %+v tickets %+v interactions %d sentiment %v", l.Occurrences, l.Tickets, l.Interactions, l.Sentiment)
	}
	page, err := e.store.Timeline(ctx, tenant, res.LeadID, "", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	// Newest first: the capture (opened now), then the thread opened at 10:00.
	if len(page.Items) != 2 || page.Items[0].Channel != interaction.ChannelChatbot || page.Items[1].ID != first.ID || page.Items[1].Status != interaction.StatusAnswered {
		t.Errorf("timeline: %+v", page.Items)
	}
}

func TestTimelineSixChannelsInOrder(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tenant := e.site.TenantID
	c := capture("bia@example.com")
	c.Conversation = conversation(3, time.Date(2026, 11, 20, 14, 3, 0, 0, time.UTC), "hello")
	res := mustCapture(t, e, c)
	user := lead.Actor{Type: lead.ActorUser, ID: "usr_1"}

	// Opened at shuffled times; the capture (now) is the newest.
	channels := []string{"whatsapp", "facebook", "instagram", "x", "email", "phone"}
	hours := []int{3, 1, 5, 0, 4, 2}
	kinds := map[string]string{"whatsapp": "chat", "facebook": "comment", "instagram": "dm", "x": "mention", "email": "email", "phone": "call"}
	for i, ch := range channels {
		it, _ := post(t, e, tenant, interaction.Input{Channel: ch, ExternalID: "ext-" + ch, Kind: kinds[ch],
			OpenedAt: time.Date(2026, 11, 1, hours[i], 0, 0, 0, time.UTC).Format(time.RFC3339)})
		if it.LeadID != "" {
			t.Fatalf("%s matched a lead without keys", ch)
		}
		if _, err := e.store.RelateInteraction(ctx, tenant, it.ID, res.LeadID, user); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"chatbot", "instagram", "email", "whatsapp", "phone", "facebook", "x"}
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		p, err := e.store.Timeline(ctx, tenant, res.LeadID, "", cursor, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range p.Items {
			got = append(got, string(s.Channel))
		}
		if p.NextCursor == "" {
			break
		}
		if pages > 5 {
			t.Fatal("timeline never ends")
		}
		cursor = p.NextCursor
	}
	if !slices.Equal(got, want) {
		t.Errorf("timeline = %v, want %v", got, want)
	}
	p, err := e.store.Timeline(ctx, tenant, res.LeadID, interaction.ChannelX, "", 10)
	if err != nil || len(p.Items) != 1 || p.Items[0].Kind != interaction.KindMention {
		t.Errorf("channel filter: %+v %v", p.Items, err)
	}
	first, err := e.store.Timeline(ctx, tenant, res.LeadID, "", "", 1)
	if err != nil {
		t.Fatal(err)
	}
	capt, err := e.store.Interaction(ctx, tenant, first.Items[0].ID)
	if err != nil || capt.Kind != interaction.KindChat || len(capt.Messages) != 3 {
		t.Errorf("the capture's interaction: %+v %v", capt, err)
	}
	l := mustDetail(t, e, tenant, res.LeadID)
	if l.Lead.Interactions != 7 || l.Lead.Occurrences.Neutral != 7 || l.Lead.Tickets.Open != 6 {
		t.Errorf("counters: %d %+v %+v", l.Lead.Interactions, l.Lead.Occurrences, l.Lead.Tickets)
	}
	history := actions(l.History.Items)
	if !slices.Contains(history, "interaction_related") {
		t.Errorf("history = %v", history)
	}
}

// TestCountersEqualRecount runs 500 random changes (status, polarity,
// relate to another lead) on 30 interactions of 6 leads from 4 goroutines,
// then recounts every lead from the interactions themselves.
func TestCountersEqualRecount(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tenant := e.site.TenantID
	var leads []string
	for i := range 6 {
		leads = append(leads, mustCapture(t, e, capture(fmt.Sprintf("p%d@example.com", i))).LeadID)
	}
	const n = 30
	inputs := make([]interaction.Input, n)
	ids := make([]string, n)
	for i := range n {
		inputs[i] = interaction.Input{Channel: "whatsapp", ExternalID: fmt.Sprintf("chat-%d", i), Kind: "chat", OpenedAt: "2026-11-30T10:00:00Z"}
		it, _ := post(t, e, tenant, inputs[i])
		ids[i] = it.ID
	}
	statuses := []string{"open", "answered", "finished"}
	polarities := []string{"positive", "neutral", "negative"}
	user := lead.Actor{Type: lead.ActorUser, ID: "usr_1"}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 42))
			for range 125 {
				i := r.IntN(n)
				var err error
				if r.IntN(3) == 0 {
					_, err = e.store.RelateInteraction(ctx, tenant, ids[i], leads[r.IntN(len(leads))], user)
				} else {
					in := inputs[i]
					in.Status, in.Polarity = statuses[r.IntN(3)], polarities[r.IntN(3)]
					var norm interaction.Interaction
					if norm, err = interaction.Normalize(tenant, in, brKinds, time.Now()); err == nil {
						_, _, err = e.store.PostInteraction(ctx, tenant, norm)
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	want := map[string]lead.CounterDelta{}
	for _, id := range leads {
		// each lead's own capture: neutral, finished
		want[id] = lead.CounterDelta{Occurrences: lead.Occurrences{Neutral: 1}, Tickets: lead.Tickets{Finished: 1}, Interactions: 1}
	}
	for _, id := range ids {
		it, err := e.store.Interaction(ctx, tenant, id)
		if err != nil {
			t.Fatal(err)
		}
		want[it.LeadID] = want[it.LeadID].Add(interaction.Contribution(&it))
	}
	for _, id := range leads {
		l := mustDetail(t, e, tenant, id).Lead
		got := lead.CounterDelta{Occurrences: l.Occurrences, Tickets: l.Tickets, Interactions: l.Interactions}
		if got != want[id] {
			t.Errorf("lead %s: counters %+v, recount %+v", id, got, want[id])
		}
		p, err := e.store.Timeline(ctx, tenant, id, "", "", 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) != want[id].Interactions {
			t.Errorf("lead %s: %d timeline items, %d interactions", id, len(p.Items), want[id].Interactions)
		}
		ls, err := e.store.List(ctx, tenant, lead.Query{Filter: lead.Filter{Sentiment: l.Occurrences.Dominant()}}, "", 100)
		if err != nil || !slices.ContainsFunc(ls.Items, func(x lead.Lead) bool { return x.ID == id }) {
			t.Errorf("lead %s not listed under its dominant sentiment %q (%v)", id, l.Occurrences.Dominant(), err)
		}
	}
}

func TestInteractionsStayInTheirTenant(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.site.TenantID
	other := e.addTenant(t, uniqueName("other"))
	b := other.TenantID
	res := mustCapture(t, e, capture("ana@example.com"))
	in := interaction.Input{Channel: "email", ExternalID: "msg-1", Kind: "email", Profile: interaction.InputProfile{Email: "ana@example.com"}}
	mine, _ := post(t, e, a, in)
	if mine.LeadID != res.LeadID {
		t.Fatalf("not matched in its own tenant: %+v", mine)
	}
	theirs, created := post(t, e, b, in)
	if !created || theirs.ID == mine.ID || theirs.LeadID != "" {
		t.Errorf("the same post in another tenant: created=%v %+v", created, theirs)
	}
	if _, err := e.store.Interaction(ctx, b, mine.ID); !errors.Is(err, lead.ErrNotFound) {
		t.Errorf("another tenant read the interaction: %v", err)
	}
	if _, err := e.store.Timeline(ctx, b, res.LeadID, "", "", 10); !errors.Is(err, lead.ErrNotFound) {
		t.Errorf("another tenant read the timeline: %v", err)
	}
	if _, err := e.store.RelateInteraction(ctx, b, mine.ID, res.LeadID, lead.Actor{Type: lead.ActorUser, ID: "u"}); !errors.Is(err, lead.ErrNotFound) {
		t.Errorf("another tenant related the interaction: %v", err)
	}
	if _, err := e.store.RelateInteraction(ctx, b, theirs.ID, res.LeadID, lead.Actor{Type: lead.ActorUser, ID: "u"}); !errors.Is(err, lead.ErrNotFound) {
		t.Errorf("an interaction joined another tenant's lead: %v", err)
	}
}
