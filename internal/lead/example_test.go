package lead_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/lead"
)

// A console PATCH is a lead.Patch (nil fields are not given). Apply checks
// it against the account's pipeline, changes the lead and returns one
// history entry per changed field; the store writes the lead and those
// entries in one transaction (as a lead.Change). A bad patch changes
// nothing and names every bad field.
func ExampleLead_Apply() {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	l := lead.Lead{ID: "ld_1", Name: "Ana", State: lead.StateNew, Rating: 1}
	acct := account.Account{ID: "acme", SubStates: map[string][]string{"in_progress": {"called", "visited"}}}
	agent := lead.Actor{Type: lead.ActorUser, ID: "usr_1"}

	state, sub, rating := lead.StateInProgress, "called", 4
	events, err := l.Apply(lead.Patch{State: &state, SubState: &sub, Rating: &rating}, agent, acct, now)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range events {
		fmt.Println(e.Action, e.Field, e.Before, "->", e.After)
	}
	fmt.Println(l.State, l.SubState, l.Rating)

	bad, empty := lead.State("won"), ""
	_, err = l.Apply(lead.Patch{State: &bad, Name: &empty}, agent, acct, now)
	var inv *lead.InvalidError
	if errors.As(err, &inv) {
		for _, fe := range inv.Errors {
			fmt.Println(fe.Field, fe.Code)
		}
	}
	fmt.Println(l.State, l.Name)
	// Output:
	// updated rating 1 -> 4
	// updated state new -> in_progress
	// updated sub_state <nil> -> called
	// in_progress called 4
	// name required
	// state not_allowed
	// in_progress Ana
}
