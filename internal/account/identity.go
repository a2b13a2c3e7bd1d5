package account

// IdentityKind is an identity-key kind an account defines beside the
// built-in ones (e-mail, phone, CPF …): a membership number, a customer
// code. Name is the key's name in a lead's keys (a slug), Label is for
// people, Pattern (a Go regular expression, optional) is what a value must
// match in full, and Unique says whether one value may belong to one lead
// only. The lead domain (lead.Kinds) validates and applies them.
type IdentityKind struct {
	Name    string `json:"name"`
	Label   string `json:"label"`
	Pattern string `json:"pattern,omitempty"`
	Unique  bool   `json:"unique"`
}
