use money_core::MoneyModel;

#[derive(MoneyModel)]
#[money(table = "notes", no_from_row = false)]
struct Note {
    #[money(primary_key)]
    id: i64,
}

fn main() {}
