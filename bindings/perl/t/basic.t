# Tests of the Perl binding against the freshly built library and the C suite's fixtures.
use strict;
use warnings;
use Test::More;
use File::Spec;
use FindBin;
use lib "$FindBin::Bin/../lib";
use JSON::PP ();
use Bounce;

my $src = $ENV{SRCDIR} // "$FindBin::Bin/../../..";
my $fix = "$src/tests/fixtures";

sub slurp { my $p = shift; open my $f, '<:raw', $p or die "$p: $!"; local $/; my $d = <$f>; close $f; return $d }
sub strip { my %h = %{ $_[0] }; delete $h{file}; return \%h }
sub expected { my $p = shift; return [ map { strip(JSON::PP::decode_json($_)) } grep { /\S/ } split /\n/, slurp($p) ] }

my $kb = Bounce::KB->builtin;
ok($kb->signature_count > 0, 'built-in KB has signatures');
is(Bounce::enum_count(0), 34, '34 reasons');

my $r = $kb->classify("550 5.1.1 <bob\@example.org>: Recipient address rejected: User unknown in local recipient table");
is($r->reason, 'userunknown', 'unknown user');
ok($r->hard_bounce, 'hard bounce');
is($r->to_json->{reason}, 'userunknown', 'result JSON');

my $g = $kb->classify("\x00\xff garbage");
is($g->cause, 'unknown', 'garbage classifies as unknown');

eval { $kb->load('/nonexistent/kb.tsv') };
isa_ok($@, 'Bounce::Error', 'load error');
like($@->name, qr/^BOUNCE_E_/, 'error carries the status name');

for my $eml (sort glob("$fix/dsn/*.eml")) {
    (my $exp = $eml) =~ s/\.eml$/.expected.json/;
    next unless -e $exp;
    my @recs = map { strip($_) } $kb->parse_dsn(slurp($eml), (File::Spec->splitpath($eml))[2]);
    is_deeply(\@recs, expected($exp), "dsn fixture $eml");
}
for my $spec (['log', 'log/*.log'], ['queue', 'queue/*.txt']) {
    my ($kind, $pat) = @$spec;
    for my $in (sort glob("$fix/$pat")) {
        (my $base = $in) =~ s/\.[^.\/]+$//;
        next unless -e "$base.expected.json";
        my $ref = -e "$base.reftime" ? (slurp("$base.reftime") =~ /(\d+)/)[0] : undef;
        my @recs = map { strip($_) } $kb->parse_stream($kind, slurp($in), $ref);
        is_deeply(\@recs, expected("$base.expected.json"), "$kind fixture $in");
    }
}
done_testing;
