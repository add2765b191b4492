"""The titles of the instruments the commitments engine ships, marked for translation.

The engine gives English titles; the treaty lookup shows `_(title)`. A test fails when the engine gains
an instrument whose title is not listed here, so no title is ever left untranslated by accident.
The Spanish, French and Arabic titles in the catalogues are the treaties' own authentic titles where
those exist (they are UN languages).
"""

from amparo.web.i18n import N_

INSTRUMENT_TITLES: tuple[str, ...] = (
    N_('International Convention on the Elimination of All Forms of Racial Discrimination'),
    N_('International Covenant on Economic, Social and Cultural Rights'),
    N_('International Covenant on Civil and Political Rights'),
    N_('Optional Protocol to the International Covenant on Civil and Political Rights'),
    N_('Second Optional Protocol to the International Covenant on Civil and Political Rights, aiming at the abolition of the death penalty'),
    N_('Optional Protocol to the International Covenant on Economic, Social and Cultural Rights'),
    N_('Convention on the Elimination of All Forms of Discrimination against Women'),
    N_('Optional Protocol to the Convention on the Elimination of All Forms of Discrimination against Women'),
    N_('Convention against Torture and Other Cruel, Inhuman or Degrading Treatment or Punishment'),
    N_('Optional Protocol to the Convention against Torture and Other Cruel, Inhuman or Degrading Treatment or Punishment'),
    N_('Convention on the Rights of the Child'),
    N_('Optional Protocol to the Convention on the Rights of the Child on the involvement of children in armed conflict'),
    N_('Optional Protocol to the Convention on the Rights of the Child on the sale of children, child prostitution and child pornography'),
    N_('Optional Protocol to the Convention on the Rights of the Child on a communications procedure'),
    N_('International Convention on the Protection of the Rights of All Migrant Workers and Members of Their Families'),
    N_('Convention on the Rights of Persons with Disabilities'),
    N_('Optional Protocol to the Convention on the Rights of Persons with Disabilities'),
    N_('International Convention for the Protection of All Persons from Enforced Disappearance'),
    N_('United Nations Convention against Transnational Organized Crime'),
    N_('Protocol to Prevent, Suppress and Punish Trafficking in Persons, Especially Women and Children, supplementing the United Nations Convention against Transnational Organized Crime'),
    N_('Protocol against the Smuggling of Migrants by Land, Sea and Air, supplementing the United Nations Convention against Transnational Organized Crime'),
    N_('Convention relating to the Status of Refugees'),
    N_('Protocol relating to the Status of Refugees'),
    N_('Vienna Convention on Consular Relations'),
    N_('Forced Labour Convention, 1930 (No. 29)'),
    N_('Protocol of 2014 to the Forced Labour Convention, 1930'),
    N_('Migration for Employment Convention (Revised), 1949 (No. 97)'),
    N_('Migrant Workers (Supplementary Provisions) Convention, 1975 (No. 143)'),
    N_('Domestic Workers Convention, 2011 (No. 189)'),
)
